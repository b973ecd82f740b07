"""Casework around the plan: practical matters, Kronofogden debt enquiries and debts, placement
costs, failure reviews (haverikommission) and the unit's returnee register."""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from insats.organisations.models import PracticalMatter, Unit


class CasePracticalMatter(models.Model):
    """One item of the unit's practical-matters checklist for a case (ID card, bank account…)."""

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("ärende"), on_delete=models.PROTECT, related_name="+"
    )
    matter = models.ForeignKey(
        PracticalMatter, verbose_name=_("fråga"), on_delete=models.PROTECT, related_name="+"
    )
    done_on = models.DateField(_("löst"), null=True, blank=True)
    note = models.CharField(_("anteckning"), max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("ändrad"), auto_now=True)

    class Meta:
        ordering = ["matter__position", "matter__label"]
        constraints = [
            models.UniqueConstraint(fields=["case", "matter"], name="practical_one_per_case")
        ]

    def __str__(self) -> str:
        return str(self.matter)


class DebtEnquiry(models.Model):
    """Förfrågan till Kronofogden: the text is generated, the coordinator sends it."""

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("ärende"), on_delete=models.PROTECT, related_name="+"
    )
    reply_address = models.TextField(_("svarsadress"))
    text = models.TextField(_("förfrågan"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    sent_on = models.DateField(_("skickad"), null=True, blank=True)
    answered_on = models.DateField(_("svar mottaget"), null=True, blank=True)
    no_debts = models.BooleanField(_("inga skulder enligt svaret"), default=False)

    class Meta:
        verbose_name = _("förfrågan till Kronofogden")
        verbose_name_plural = _("förfrågningar till Kronofogden")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.created_at:%Y-%m-%d}"


class Debt(models.Model):
    """A debt from Kronofogden's answer, recorded in the economy area."""

    class Kind(models.TextChoices):
        PUBLIC = "public", _("Allmänt mål (t.ex. skatt, böter, skadestånd till staten)")
        PRIVATE = "private", _("Enskilt mål")
        DAMAGES = "damages", _("Skadestånd till brottsoffer")
        OTHER = "other", _("Annan skuld")

    enquiry = models.ForeignKey(DebtEnquiry, on_delete=models.CASCADE, related_name="debts")
    kind = models.CharField(_("typ"), max_length=10, choices=Kind.choices)
    creditor = models.CharField(_("borgenär eller ombud"), max_length=200)
    amount = models.DecimalField(_("belopp (kr)"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.creditor}: {self.amount}"


class Placement(models.Model):
    """A placement and its cost (SiS, HVB, family home, protected housing…)."""

    class Kind(models.TextChoices):
        SIS = "sis", _("SiS särskilt ungdomshem")
        HVB = "hvb", _("HVB")
        FAMILY_HOME = "family_home", _("Familjehem")
        PROTECTED = "protected", _("Skyddat boende")
        SUPPORTED_HOUSING = "supported", _("Stödboende")
        OTHER = "other", _("Annan placering")

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("ärende"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("typ"), max_length=20, choices=Kind.choices)
    provider = models.CharField(_("utförare"), max_length=200)
    starts_on = models.DateField(_("från"))
    ends_on = models.DateField(_("till och med"), null=True, blank=True)
    daily_cost = models.DecimalField(_("dygnskostnad (kr)"), max_digits=10, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("registrerad"), auto_now_add=True)

    class Meta:
        verbose_name = _("placering")
        verbose_name_plural = _("placeringar")
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["case", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.provider}"

    def days_within(self, start: date, end: date) -> int:
        """Days of this placement inside [start, end], both days counted."""
        first = max(self.starts_on, start)
        last = min(self.ends_on or end, end)
        return max((last - first).days + 1, 0)


class FailureReview(models.Model):
    """Haverikommission: when a plan breaks down or the person reoffends."""

    class Trigger(models.TextChoices):
        BREAKDOWN = "breakdown", _("Planen har havererat")
        REOFFENDING = "reoffending", _("Återfall i brott")
        OTHER = "other", _("Annat")

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("ärende"), on_delete=models.PROTECT, related_name="+"
    )
    trigger = models.CharField(_("anledning"), max_length=20, choices=Trigger.choices)
    opened_on = models.DateField(_("öppnad"))
    convened = models.TextField(_("sammankallat nätverk"), help_text=_("Vilka som deltar."))
    timeline = models.TextField(_("händelseförlopp"), blank=True)
    causes = models.TextField(_("orsaker"), blank=True)
    lessons = models.TextField(_("lärdomar"), blank=True)
    closed_on = models.DateField(_("avslutad"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("ändrad"), auto_now=True)

    class Meta:
        verbose_name = _("haverikommission")
        verbose_name_plural = _("haverikommissioner")
        ordering = ["-opened_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.opened_on}"


class FailureReviewDecision(models.Model):
    review = models.ForeignKey(FailureReview, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(_("beslut"), max_length=300)
    responsible = models.CharField(_("ansvarig"), max_length=200)
    due_on = models.DateField(_("klart senast"))
    done_on = models.DateField(_("genomfört"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.decision


class Returnee(models.Model):
    """A young person placed in a SiS home or with Kriminalvården, with the day they come home,
    so that a plan is ready on that day (seed 000: returnee planning)."""

    class Kind(models.TextChoices):
        SIS = "sis", _("SiS (15–21 år)")
        PROBATION = "probation", _("Kriminalvården (15–25 år)")

    AGE_RANGES = {Kind.SIS: (15, 21), Kind.PROBATION: (15, 25)}

    unit = models.ForeignKey(
        Unit, verbose_name=_("enhet"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("placerad hos"), max_length=20, choices=Kind.choices)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("ärende"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(
        _("namn"),
        max_length=200,
        blank=True,
        help_text=_("Endast när det inte finns något ärende att koppla till."),
    )
    age = models.PositiveSmallIntegerField(_("ålder"))
    institution = models.CharField(_("institution eller anstalt"), max_length=200)
    expected_on = models.DateField(_("beräknad hemkomst eller frigivning"))
    note = models.TextField(_("anteckning"), blank=True)
    returned_on = models.DateField(_("kom hem"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("registrerad"), auto_now_add=True)

    class Meta:
        verbose_name = _("återvändare")
        verbose_name_plural = _("återvändare")
        ordering = ["expected_on", "pk"]
        indexes = [models.Index(fields=["unit", "expected_on"])]

    def __str__(self) -> str:
        return self.name or str(self.case_id)
