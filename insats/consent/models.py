"""Consent to share information between the parties, and disclosures made without consent."""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insats.cases.models import Case, CaseMember
from insats.organisations.models import InformationCategory, LegalReference, Organisation
from insats.people.models import Guardian


class ConsentQuerySet(models.QuerySet):
    def active_on(self, day: date):
        """Valid on that day, never revoked and not ended: revocation and the end of the case
        (discharge) end a consent at once."""
        return self.filter(
            models.Q(ended_on__isnull=True) | models.Q(ended_on__gt=day),
            valid_from__lte=day,
            valid_until__gte=day,
            revoked_on__isnull=True,
        )


class EndReason(models.TextChoices):
    """Why a consent was ended before its end date without being revoked."""

    DISCHARGE = "discharge", _("Ärendet skrevs ut")
    CLOSED = "closed", _("Ärendet avslutades")


class Consent(models.Model):
    """Samtycke — lets the named organisations share the named categories about the person.

    A blanket consent is not valid: it always names organisations, categories and an end date.
    """

    EndReason = EndReason

    class Form(models.TextChoices):
        WRITTEN = "written", _("Skriftligt")
        ORAL = "oral", _("Muntligt")

    case = models.ForeignKey(
        Case, verbose_name=_("ärende"), on_delete=models.PROTECT, related_name="consents"
    )
    organisations = models.ManyToManyField(
        Organisation, verbose_name=_("organisationer"), related_name="consents"
    )
    network_members = models.ManyToManyField(
        CaseMember, verbose_name=_("personer i nätverket"), blank=True, related_name="consents"
    )
    categories = models.ManyToManyField(
        InformationCategory, verbose_name=_("uppgiftskategorier"), related_name="+"
    )
    form = models.CharField(_("form"), max_length=10, choices=Form.choices, default=Form.WRITTEN)
    oral_received_by = models.CharField(
        _("muntligt samtycke mottaget av"), max_length=200, blank=True
    )
    place = models.CharField(_("ort"), max_length=100)
    signed_on = models.DateField(_("datum för samtycket"))
    valid_from = models.DateField(_("gäller från"))
    valid_until = models.DateField(_("gäller till och med"))
    person_signed = models.BooleanField(_("den enskilde har samtyckt"), default=False)
    guardians_signed = models.ManyToManyField(
        Guardian, verbose_name=_("vårdnadshavare som samtyckt"), blank=True, related_name="+"
    )
    own_consent_judgement = models.TextField(
        _("bedömning att den unges eget samtycke räcker"),
        blank=True,
        help_text=_("Fyll i endast om den unge är under 18 och bedöms mogen att samtycka själv."),
    )
    officer_name = models.CharField(_("handläggare"), max_length=200)
    officer_phone = models.CharField(_("handläggarens telefon"), max_length=40)
    officer_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("handläggarens organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    research_follow_up = models.BooleanField(
        _("samtycker till forskningsuppföljning inom fem år efter avslut"), default=False
    )
    scan = models.FileField(_("inskannat samtycke"), upload_to="consents/%Y/", blank=True)
    scan_content_type = models.CharField(max_length=50, blank=True)
    scan_uploaded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registrerat av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("registrerat"), auto_now_add=True)
    revoked_on = models.DateField(_("återkallat den"), null=True, blank=True)
    revoked_how = models.CharField(_("hur det återkallades"), max_length=200, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("återkallelse registrerad av"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revocation_recorded_at = models.DateTimeField(null=True, blank=True)
    # An end that is not the person's revocation: the case it was given for closed. The
    # consent stays on file (and can still be revoked) but is no ground for anyone any more.
    ended_on = models.DateField(_("avslutat den"), null=True, blank=True)
    end_reason = models.CharField(
        _("skäl till att samtycket avslutades"),
        max_length=20,
        choices=EndReason.choices,
        blank=True,
    )
    expiry_notified_on = models.DateField(
        _("utgång meddelad"),
        null=True,
        blank=True,
        help_text=_("Sätts av det dagliga jobbet när lotsen fått besked om att samtycket gått ut."),
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("samtycke")
        verbose_name_plural = _("samtycken")
        ordering = ["-valid_from", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_from__lte=models.F("valid_until")),
                name="consent_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True, end_reason="")
                | models.Q(ended_on__isnull=False) & ~models.Q(end_reason=""),
                name="consent_end_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["case", "valid_until"])]

    def __str__(self) -> str:
        return _("Samtycke %(from)s–%(until)s") % {
            "from": self.valid_from,
            "until": self.valid_until,
        }

    class Status(models.TextChoices):
        ACTIVE = "active", _("Gällande")
        NOT_YET_VALID = "not_yet_valid", _("Inte giltigt än")
        EXPIRED = "expired", _("Utgånget")
        REVOKED = "revoked", _("Återkallat")
        ENDED = "ended", _("Avslutat")

    ENDED_LABELS = {
        EndReason.DISCHARGE: _("Avslutat (ärendet utskrivet)"),
        EndReason.CLOSED: _("Avslutat (ärendet avslutat)"),
    }

    def status(self, day: date | None = None) -> str:
        day = day or timezone.localdate()
        if self.revoked_on is not None:
            return self.Status.REVOKED
        if self.ended_on is not None and self.ended_on <= day:
            return self.Status.ENDED
        if day < self.valid_from:
            return self.Status.NOT_YET_VALID
        if day > self.valid_until:
            return self.Status.EXPIRED
        return self.Status.ACTIVE

    def get_status_display(self) -> str:
        status = self.status()
        if status == self.Status.ENDED:
            return str(self.ENDED_LABELS.get(self.end_reason, self.Status.ENDED.label))
        return str(self.Status(status).label)

    def is_active(self, day: date | None = None) -> bool:
        return self.status(day) == self.Status.ACTIVE


class Disclosure(models.Model):
    """Utlämnande utan samtycke — each one recorded: what, to whom, when, by whom, on what basis."""

    case = models.ForeignKey(
        Case, verbose_name=_("ärende"), on_delete=models.PROTECT, related_name="disclosures"
    )
    information = models.TextField(_("vilka uppgifter"))
    to_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("till organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_person = models.CharField(_("till person"), max_length=200, blank=True)
    disclosed_on = models.DateField(_("datum"))
    legal_basis = models.ForeignKey(
        LegalReference, verbose_name=_("lagrum"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("anteckning"), blank=True)
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lämnat av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("registrerat"), auto_now_add=True)

    class Meta:
        verbose_name = _("utlämnande utan samtycke")
        verbose_name_plural = _("utlämnanden utan samtycke")
        ordering = ["-disclosed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.disclosed_on}: {self.to_organisation}"
