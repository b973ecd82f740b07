"""Cases and the record of every move through the lifecycle."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from insats.organisations.models import DischargeReason, Unit
from insats.people.models import Person

from .lifecycle import CLOSED_STATES, State


class Source(models.TextChoices):
    """Where an intake came from (aktualiseringsväg)."""

    SELF = "self", _("Den enskilde själv")
    POLICE = "police", _("Polisen")
    MUNICIPAL = "municipal", _("Kommunal verksamhet")
    OTHER_ACTOR = "other_actor", _("Annan aktör")
    RETURNEE = "returnee", _("Kriminalvården/SiS (återvändare)")


class Case(models.Model):
    """Ärende — one person's SIG, from intake to discharge.

    A case may start de-identified (no person, only an alias with the age); the alias is all
    anyone outside the case's social-services staff sees until the person is identified.
    """

    unit = models.ForeignKey(
        Unit, verbose_name=_("enhet"), on_delete=models.PROTECT, related_name="cases"
    )
    year = models.PositiveSmallIntegerField(_("år"))
    sequence = models.PositiveIntegerField(_("löpnummer"))
    alias = models.CharField(_("alias"), max_length=100)
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    age_at_intake = models.PositiveSmallIntegerField(_("ålder vid aktualisering"))
    state = models.CharField(_("steg"), max_length=20, choices=State.choices, default=State.INTAKE)
    source = models.CharField(_("aktualiserad av"), max_length=20, choices=Source.choices)
    source_detail = models.CharField(_("källa, närmare"), max_length=200, blank=True)
    intake_basis = models.TextField(
        _("underlag"),
        blank=True,
        help_text=_("Vid förslag från polisen: brottens art och frekvens."),
    )
    age_at_first_offence = models.PositiveSmallIntegerField(
        _("ålder vid första brottet"), null=True, blank=True
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mottaget av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lots/samordnare"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coordinated_cases",
    )
    investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utredare"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="investigated_cases",
    )
    decision_maker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("beslutsfattare"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decided_cases",
    )
    discharge_reason = models.ForeignKey(
        DischargeReason,
        verbose_name=_("skäl för utskrivning"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("registrerat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("ändrat"), auto_now=True)

    class Meta:
        verbose_name = _("ärende")
        verbose_name_plural = _("ärenden")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "sequence"], name="case_unique_number_per_unit"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "state"]),
            models.Index(fields=["unit", "coordinator"]),
            models.Index(fields=["unit", "updated_at"]),
            models.Index(fields=["unit", "alias"]),
        ]

    def __str__(self) -> str:
        return self.alias

    @property
    def number(self) -> str:
        prefix = f"{self.unit.case_prefix}-" if self.unit.case_prefix else ""
        return f"{prefix}{self.year}-{self.sequence:03d}"

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES

    @property
    def is_identified(self) -> bool:
        return self.person_id is not None

    @property
    def one_person_holds_every_role(self) -> bool:
        """Intake, investigation and coordination in one hand: allowed, but warned about."""
        return (
            self.investigator_id is not None
            and self.received_by_id == self.investigator_id == self.coordinator_id
        )


class CaseTransition(models.Model):
    """One move through the lifecycle: who, when and why. Never changed afterwards."""

    case = models.ForeignKey(
        Case, verbose_name=_("ärende"), on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(_("från"), max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(_("till"), max_length=20, choices=State.choices)
    at = models.DateTimeField(_("tidpunkt"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("av"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("motivering"))
    discharge_reason = models.ForeignKey(
        DischargeReason,
        verbose_name=_("skäl för utskrivning"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.TextField(
        _("avslutande sammanfattning"),
        blank=True,
        help_text=_("Vid utskrivning: vad insatsen har lett till och hur det ser ut nu."),
    )

    class Meta:
        verbose_name = _("händelse i ärendet")
        verbose_name_plural = _("händelser i ärendet")
        ordering = ["at", "pk"]
        # "Which state was the case in at time T" (statistics, exports) reads the last move
        # before T per case; discharges per period read moves by target state and time.
        indexes = [
            models.Index(fields=["case", "at"], name="casetransition_case_at"),
            models.Index(fields=["to_state", "at"], name="casetransition_state_at"),
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.from_state} → {self.to_state}"


class CaseMember(models.Model):
    """A member of the person's group (social insatsgrupp) for this case.

    Either a user from a partner organisation, or an external person without an account (a
    coach, a relative) — such members have no formal duty of confidentiality and never log in.
    Removal is recorded, not deleted, so the group's history stays readable.
    """

    case = models.ForeignKey(
        Case, verbose_name=_("ärende"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("användare"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_memberships",
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_members",
    )
    name = models.CharField(_("namn"), max_length=200, blank=True)
    function = models.CharField(_("funktion i gruppen"), max_length=200, blank=True)
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    has_confidentiality_duty = models.BooleanField(_("har tystnadsplikt/sekretess"), default=True)
    added_at = models.DateTimeField(_("tillagd"), auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tillagd av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    removed_at = models.DateTimeField(_("borttagen"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("borttagen av"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("medlem i gruppen")
        verbose_name_plural = _("medlemmar i gruppen")
        ordering = ["added_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, organisation__isnull=False)
                | models.Q(user__isnull=True) & ~models.Q(name=""),
                name="casemember_user_with_org_or_named_external",
            ),
            models.UniqueConstraint(
                fields=["case", "user"],
                condition=models.Q(removed_at__isnull=True, user__isnull=False),
                name="casemember_unique_active_user",
            ),
        ]
        indexes = [models.Index(fields=["user", "removed_at"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.user_id:
            return self.user.get_full_name() or self.user.username
        return self.name

    @property
    def is_external(self) -> bool:
        return self.user_id is None
