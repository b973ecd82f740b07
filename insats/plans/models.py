"""The action plan (handlingsplan, appendix 3.5 / seed 000 appendix 3), its revisions, the
members' progress reports and the plan follow-ups.

The plan is edited as a whole by the case's social-services staff. Each save is a new revision:
`revision` is the optimistic lock (a save based on an older revision is refused) and each
revision's content is kept as a snapshot, so any two can be compared. Goals and measures keep
their ids across saves, so the members' progress reports stay attached to their measure.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from insats.organisations.models import LifeArea, Organisation


class ActionPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Utkast")
        READY = "ready", _("Klar")

    case = models.OneToOneField(
        "cases.Case", verbose_name=_("ärende"), on_delete=models.PROTECT, related_name="plan"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    main_goal = models.TextField(_("huvudmål"))
    commitments = models.TextField(
        _("den enskildes egna åtaganden"),
        blank=True,
        help_text=_("Vad den unge själv lovar att göra. Ett åtagande per rad."),
    )
    next_follow_up_at = models.DateTimeField(_("nästa uppföljning"), null=True, blank=True)
    next_follow_up_place = models.CharField(
        _("plats för uppföljningen"), max_length=200, blank=True
    )
    acute_contact = models.TextField(
        _("vid akut läge, kontakta"),
        blank=True,
        help_text=_("Namn och telefon till den som ska kontaktas i ett akut läge."),
    )
    # The follow-up date a missed-follow-up reminder was sent for (the daily job's memory).
    follow_up_reminded_for = models.DateTimeField(null=True, blank=True, editable=False)
    revision = models.PositiveIntegerField(_("revision"), default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("senast sparad av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("senast sparad"), auto_now=True)

    class Meta:
        verbose_name = _("handlingsplan")
        verbose_name_plural = _("handlingsplaner")
        indexes = [models.Index(fields=["next_follow_up_at"])]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.case_id}"

    @property
    def commitment_lines(self) -> list[str]:
        return [line.strip() for line in self.commitments.splitlines() if line.strip()]


class PlanGoal(models.Model):
    """A measurable goal within one life area."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="goals")
    life_area = models.ForeignKey(
        LifeArea, verbose_name=_("livsområde"), on_delete=models.PROTECT, related_name="+"
    )
    goal = models.TextField(_("mål"))
    target = models.CharField(_("när är målet nått?"), max_length=300)
    measured_by = models.CharField(_("hur mäts det?"), max_length=300)
    closed_on = models.DateField(_("avslutat"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("ordning"), default=0)

    class Meta:
        verbose_name = _("mål")
        verbose_name_plural = _("mål")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.goal


class PlanMeasure(models.Model):
    """What is done towards a goal, by whom and when; members report on their own measures."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planerad")
        ONGOING = "ongoing", _("Pågår")
        DONE = "done", _("Klar")
        CANCELLED = "cancelled", _("Inställd")

    OPEN = (Status.PLANNED, Status.ONGOING)

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="measures")
    goal = models.ForeignKey(
        PlanGoal, verbose_name=_("mål"), on_delete=models.CASCADE, related_name="measures"
    )
    what = models.CharField(_("vad"), max_length=300)
    how = models.CharField(_("hur"), max_length=300, blank=True)
    where = models.CharField(_("var"), max_length=200, blank=True)
    starts_on = models.DateField(_("start"), null=True, blank=True)
    due_on = models.DateField(_("klart senast"))
    after = models.ForeignKey(
        "self",
        verbose_name=_("väntar på"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    responsible_member = models.ForeignKey(
        "cases.CaseMember",
        verbose_name=_("ansvarig person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measures",
        help_text=_("En medlem i gruppen, med eller utan inloggning."),
    )
    responsible_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ansvarig i socialtjänsten"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    responsible_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("ansvarig organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    position = models.PositiveSmallIntegerField(_("ordning"), default=0)
    # When the overdue reminder went out; cleared when the due date changes.
    overdue_reminded_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("åtgärd")
        verbose_name_plural = _("åtgärder")
        ordering = ["position", "due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return self.what

    def is_overdue(self, today: date) -> bool:
        """Derived, never stored: open and past its due date."""
        return self.status in self.OPEN and self.due_on < today

    @property
    def responsible_name(self) -> str:
        if self.responsible_member_id:
            return self.responsible_member.display_name
        if self.responsible_staff_id:
            return str(self.responsible_staff)
        return ""


class PlanRevision(models.Model):
    """What the plan said after one save: who, when and the whole content as a snapshot."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    snapshot = models.JSONField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sparad av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    saved_at = models.DateTimeField(_("sparad"), auto_now_add=True)

    class Meta:
        verbose_name = _("revision av handlingsplan")
        verbose_name_plural = _("revisioner av handlingsplan")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="planrevision_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.number}"


class MeasureReport(models.Model):
    """A member's progress report on a measure they are responsible for."""

    measure = models.ForeignKey(PlanMeasure, on_delete=models.CASCADE, related_name="reports")
    status = models.CharField(_("status"), max_length=10, choices=PlanMeasure.Status.choices)
    note = models.TextField(_("vad har hänt?"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rapporterat av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("rapporterat"), auto_now_add=True)

    class Meta:
        verbose_name = _("rapport om åtgärd")
        verbose_name_plural = _("rapporter om åtgärder")
        ordering = ["-reported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.measure_id}: {self.status}"


class PlanFollowUp(models.Model):
    """Uppföljning av planen: each goal met, partly met or not met, with notes."""

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="follow_ups")
    held_on = models.DateField(_("datum för uppföljningen"))
    note = models.TextField(_("anteckningar"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registrerat av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("registrerat"), auto_now_add=True)

    class Meta:
        verbose_name = _("uppföljning av planen")
        verbose_name_plural = _("uppföljningar av planen")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.held_on}"


class GoalResult(models.Model):
    class Result(models.TextChoices):
        MET = "met", _("Uppnått")
        PARTLY = "partly", _("Delvis uppnått")
        NOT_MET = "not_met", _("Inte uppnått")

    follow_up = models.ForeignKey(PlanFollowUp, on_delete=models.CASCADE, related_name="results")
    goal = models.ForeignKey(
        PlanGoal, verbose_name=_("mål"), on_delete=models.CASCADE, related_name="results"
    )
    result = models.CharField(_("resultat"), max_length=10, choices=Result.choices)
    note = models.CharField(_("kommentar"), max_length=500, blank=True)

    class Meta:
        ordering = ["goal__position", "goal__pk"]
        constraints = [
            models.UniqueConstraint(fields=["follow_up", "goal"], name="goalresult_one_per_goal")
        ]

    def __str__(self) -> str:
        return f"{self.goal_id}: {self.result}"
