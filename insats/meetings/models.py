"""Groups and meetings (SPEC §2 and §4): the unit's steering, operational and preparation
groups, its contact list, agreements and situation picture, the yearly district checklist,
meetings with invitations, agendas, minutes and tasks, collaboration deviations and the
personal calendar feeds.

An individual group is not a model here: it is the case's group members (cases.CaseMember).
An agenda item about a case is read under the case's own access rule, so its minutes are seen
only by those who may see the case, never by the meeting's other attendees.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from insats.organisations.models import Organisation, Unit


class Group(models.Model):
    class Kind(models.TextChoices):
        STEERING = "steering", _("Styrgrupp")
        OPERATIONAL = "operational", _("Operativ ledningsgrupp")
        PREPARATION = "preparation", _("Beredningsgrupp/arbetsgrupp")

    unit = models.ForeignKey(
        Unit, verbose_name=_("enhet"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("nivå"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("namn"), max_length=200)
    rhythm_days = models.PositiveSmallIntegerField(
        _("mötesrytm (dagar)"),
        default=30,
        help_text=_(
            "Hur ofta gruppen möts; nästa möte föreslås utifrån det. 30 = en gång i månaden."
        ),
    )
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("grupp")
        verbose_name_plural = _("grupper")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    """A member of a group: a user, or a named person without an account."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("användare"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("namn"), max_length=200, blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    function = models.CharField(_("funktion"), max_length=200, blank=True)
    added_at = models.DateTimeField(_("tillagd"), auto_now_add=True)
    removed_at = models.DateTimeField(_("borttagen"), null=True, blank=True)

    class Meta:
        ordering = ["organisation__name", "pk"]
        constraints = [
            # A user sits in a group once at a time (services_groups.member_add checks first;
            # this stops two requests that pass the check together).
            models.UniqueConstraint(
                fields=["group", "user"],
                condition=models.Q(removed_at__isnull=True, user__isnull=False),
                name="groupmember_unique_active_user",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.user_id:
            return self.user.get_full_name() or self.user.username
        return self.name


class Contact(models.Model):
    """Kontaktlista för samverkan (bilaga 1): who to call at each partner, reviewed regularly."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("enhet"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("kontaktperson"), max_length=200)
    function = models.CharField(_("funktion"), max_length=200, blank=True)
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    last_reviewed_on = models.DateField(_("senast kontrollerad"))

    class Meta:
        verbose_name = _("kontakt för samverkan")
        verbose_name_plural = _("kontaktlista för samverkan")
        ordering = ["organisation__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class Agreement(models.Model):
    """Local collaboration agreements and the situation picture, each with a review date."""

    class Kind(models.TextChoices):
        AGREEMENT = "agreement", _("Samverkansöverenskommelse")
        SITUATION = "situation", _("Lägesbild")

    unit = models.ForeignKey(
        Unit, verbose_name=_("enhet"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("typ"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("rubrik"), max_length=200)
    parties = models.CharField(_("parter"), max_length=300, blank=True)
    summary = models.TextField(_("sammanfattning"), blank=True)
    dated_on = models.DateField(_("daterad"))
    review_on = models.DateField(_("ses över senast"))
    review_reminded_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("överenskommelse eller lägesbild")
        verbose_name_plural = _("överenskommelser och lägesbilder")
        ordering = ["review_on", "pk"]

    def __str__(self) -> str:
        return self.title


class DistrictChecklist(models.Model):
    """The yearly district checklist (seed 001): eight yes/no questions, one row per year."""

    QUESTIONS = (
        ("forum", _("Det finns ett samverkansforum för sociala insatsgrupper.")),
        ("situation", _("Det finns en lokal lägesbild från de senaste två åren.")),
        ("agreements", _("Det finns lokala samverkansöverenskommelser.")),
        ("contacts", _("Det finns en strategisk kontaktlista.")),
        ("safety_talks", _("Varje operativ medarbetare har haft minst ett säkerhetssamtal i år.")),
        ("structures", _("Det finns tydliga strukturer för varje nivå.")),
        ("leadership", _("Ledningen efterfrågar uppföljning.")),
        ("competence", _("Kompetenskraven är uppfyllda.")),
    )

    unit = models.ForeignKey(
        Unit, verbose_name=_("enhet"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("år"))
    answers = models.JSONField(
        _("svar"), default=dict
    )  # question code -> {"yes": bool, "note": str}
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("besvarad"), auto_now=True)

    class Meta:
        verbose_name = _("checklista för stadsdelen")
        verbose_name_plural = _("checklistor för stadsdelen")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="districtchecklist_one_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year}"


class Meeting(models.Model):
    class Kind(models.TextChoices):
        STEERING = "steering", _("Styrgrupp")
        OPERATIONAL = "operational", _("Operativ ledningsgrupp")
        PREPARATION = "preparation", _("Beredningsgrupp")
        INDIVIDUAL = "individual", _("Individuell grupp")
        NETWORK = "network", _("Nätverksmöte/haverikommission")
        ANNUAL = "annual", _("Årlig samverkansträff")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planerat")
        HELD = "held", _("Genomfört")
        CANCELLED = "cancelled", _("Inställt")

    CASE_KINDS = (Kind.INDIVIDUAL, Kind.NETWORK)

    unit = models.ForeignKey(
        Unit, verbose_name=_("enhet"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("typ av möte"), max_length=20, choices=Kind.choices)
    group = models.ForeignKey(
        Group,
        verbose_name=_("grupp"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("ärende"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("För individuell grupp och nätverksmöte."),
    )
    plan_follow_up = models.ForeignKey(
        "plans.PlanFollowUp",
        verbose_name=_("uppföljning av handlingsplanen"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(_("rubrik"), max_length=200)
    starts_at = models.DateTimeField(_("börjar"))
    ends_at = models.DateTimeField(_("slutar"))
    place = models.CharField(_("plats"), max_length=200)
    convener = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sammankallande"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    general_minutes = models.TextField(_("protokoll, allmän del"), blank=True)
    # For calendar files: a stable id and a counter that grows with every change.
    uid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("ändrat"), auto_now=True)

    class Meta:
        verbose_name = _("möte")
        verbose_name_plural = _("möten")
        ordering = ["-starts_at", "-pk"]
        indexes = [
            models.Index(fields=["unit", "starts_at"]),
            models.Index(fields=["case", "starts_at"]),
        ]

    def __str__(self) -> str:
        return self.title


class Invitation(models.Model):
    """An invited participant: a user, or a named person without an account (e-mail only)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("användare"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
    )
    name = models.CharField(_("namn"), max_length=200, blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("inbjudan skickad"), null=True, blank=True)
    attended = models.BooleanField(_("närvarade"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=models.Q(user__isnull=False),
                name="invitation_one_per_user",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.user_id:
            return self.user.get_full_name() or self.user.username
        return self.name


class AgendaItem(models.Model):
    """One item of a meeting's agenda; an item about a case is read under the case's rule."""

    class Part(models.TextChoices):
        INDIVIDUAL = "individual", _("Individuell del")
        RETURNEES = "returnees", _("Återvändare")
        GENERAL = "general", _("Allmän del")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    part = models.CharField(_("del"), max_length=20, choices=Part.choices)
    position = models.PositiveSmallIntegerField(_("ordning"), default=0)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("ärende"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    returnee = models.ForeignKey(
        "casework.Returnee",
        verbose_name=_("återvändare"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(_("rubrik"), max_length=200)
    preparation = models.TextField(_("underlag"), blank=True)
    minutes = models.TextField(_("protokoll"), blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField(_("anmäld"), auto_now_add=True)

    class Meta:
        verbose_name = _("punkt på dagordningen")
        verbose_name_plural = _("punkter på dagordningen")
        ordering = ["part", "position", "pk"]
        constraints = [
            # A case, or a returnee, is on a meeting's agenda once (services_agenda checks
            # first; these stop two requests that pass the check together).
            models.UniqueConstraint(
                fields=["meeting", "case"],
                condition=models.Q(case__isnull=False),
                name="agendaitem_one_per_case",
            ),
            models.UniqueConstraint(
                fields=["meeting", "returnee"],
                condition=models.Q(returnee__isnull=False),
                name="agendaitem_one_per_returnee",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Task(models.Model):
    """A decision in the minutes: something someone does by a date; shown until done."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="tasks")
    item = models.ForeignKey(
        AgendaItem, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    description = models.CharField(_("beslut/uppgift"), max_length=300)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ansvarig"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    due_on = models.DateField(_("klart senast"))
    done_on = models.DateField(_("klart"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)

    class Meta:
        verbose_name = _("uppgift")
        verbose_name_plural = _("uppgifter")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["responsible", "done_on", "due_on"])]

    def __str__(self) -> str:
        return self.description


class Deviation(models.Model):
    """Brist i samverkan: reported by a member, handled by the operational group."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("Rapporterad")
        ANALYSED = "analysed", _("Analyserad")
        DECIDED = "decided", _("Förbättring beslutad")
        FOLLOWED_UP = "followed_up", _("Följd upp")
        CLOSED = "closed", _("Avslutad")

    unit = models.ForeignKey(
        Unit, verbose_name=_("enhet"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation som avvikelsen gäller"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("ärende"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    occurred_on = models.DateField(_("när det hände"))
    what_happened = models.TextField(_("vad hände?"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REPORTED
    )
    analysis = models.TextField(_("analys"), blank=True)
    improvement = models.TextField(_("beslutad förbättring"), blank=True)
    follow_up = models.TextField(_("uppföljning"), blank=True)
    closed_on = models.DateField(_("avslutad"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rapporterad av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("rapporterad"), auto_now_add=True)
    updated_at = models.DateTimeField(_("ändrad"), auto_now=True)

    class Meta:
        verbose_name = _("avvikelse i samverkan")
        verbose_name_plural = _("avvikelser i samverkan")
        ordering = ["-occurred_on", "-pk"]
        indexes = [models.Index(fields=["unit", "occurred_on"])]

    def __str__(self) -> str:
        return f"{self.organisation} {self.occurred_on}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A personal calendar feed behind a secret URL; revoking it makes the URL dead at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d}"
