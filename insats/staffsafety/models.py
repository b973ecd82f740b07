"""Staff safety (SPEC §6): yearly safety talks with the operative staff, and the coordinators'
competence checklist.

The checklist items are configuration (ConfigItem): unit-less rows are the installation's
template, and a unit gets its own copy the first time its staff-safety pages are used (see
services.unit_copy_template_items), because organisations.services.unit_create does not know
this app. A talk copies each item's text, so a signed talk reads the same after the unit's
list is edited.
"""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from insats.organisations.models import ConfigItem, Unit

# A talk is due again one year after it was held (a talk on 29 February: 28 February).
TALK_INTERVAL = relativedelta(years=1)


def next_due(held_on: date) -> date:
    return held_on + TALK_INTERVAL


def _unique_code(name: str) -> list[models.UniqueConstraint]:
    """One code per unit, and one per template (NULL units are never equal in SQL)."""
    return [
        models.UniqueConstraint(fields=["unit", "code"], name=f"{name}_unique_code_per_unit"),
        models.UniqueConstraint(
            fields=["code"], condition=Q(unit__isnull=True), name=f"{name}_unique_template_code"
        ),
    ]


class SafetyChecklistItem(ConfigItem):
    """Punkt i checklistorna för proaktiva säkerhetsåtgärder — general (bilaga 2.1) or social
    media (bilaga 2.2); every safety talk goes through both, item by item."""

    class Checklist(models.TextChoices):
        GENERAL = "general", _("Generella proaktiva säkerhetsåtgärder")
        SOCIAL_MEDIA = "social_media", _("Proaktiva säkerhetsåtgärder avseende sociala medier")

    checklist = models.CharField(_("checklista"), max_length=20, choices=Checklist.choices)

    class Meta(ConfigItem.Meta):
        verbose_name = _("punkt i säkerhetschecklista")
        verbose_name_plural = _("punkter i säkerhetschecklistor")
        ordering = ["checklist", "position", "label"]
        constraints = _unique_code("safetychecklistitem")


class CompetenceItem(ConfigItem):
    """Kompetenskrav för lotsar/samordnare (bilaga 2.3)."""

    description = models.TextField(_("beskrivning"), blank=True)

    class Meta(ConfigItem.Meta):
        verbose_name = _("kompetenskrav")
        verbose_name_plural = _("kompetenskrav")
        constraints = _unique_code("competenceitem")


class SafetyTalk(models.Model):
    """Säkerhetssamtal — held by the supervisor with one operative staff member at least once a
    year, signed by a supervisor and then shared with the security officer.

    Signing freezes it: a correction is a new talk (services.talk_update refuses).
    """

    unit = models.ForeignKey(
        Unit, verbose_name=_("enhet"), on_delete=models.PROTECT, related_name="safety_talks"
    )
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("medarbetare"),
        on_delete=models.PROTECT,
        related_name="safety_talks",
    )
    held_on = models.DateField(_("datum för samtalet"))
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("arbetsledare"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("anteckningar"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_at = models.DateTimeField(_("undertecknat"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undertecknat av"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    shared_on = models.DateField(_("delgivet"), null=True, blank=True)
    shared_with_name = models.CharField(_("delgivet till"), max_length=200, blank=True)
    shared_with_email = models.EmailField(_("e-post"), blank=True)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delgivet av"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("säkerhetssamtal")
        verbose_name_plural = _("säkerhetssamtal")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["unit", "employee", "held_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(manager=F("employee")), name="safetytalk_manager_not_employee"
            ),
            models.CheckConstraint(
                condition=Q(signed_by__isnull=True) | ~Q(signed_by=F("employee")),
                name="safetytalk_not_signed_by_employee",
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True, signed_by__isnull=True)
                | Q(signed_at__isnull=False, signed_by__isnull=False),
                name="safetytalk_signature_complete",
            ),
            models.CheckConstraint(
                condition=Q(shared_on__isnull=True) | Q(signed_at__isnull=False),
                name="safetytalk_shared_only_when_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.held_on:%Y-%m-%d}"

    @property
    def next_due(self) -> date:
        return next_due(self.held_on)

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_shared(self) -> bool:
        return self.shared_on is not None


class SafetyTalkItem(models.Model):
    """One checklist item as gone through in a talk; its text is copied from the unit's list."""

    talk = models.ForeignKey(SafetyTalk, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(
        SafetyChecklistItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    checklist = models.CharField(
        _("checklista"), max_length=20, choices=SafetyChecklistItem.Checklist.choices
    )
    label = models.CharField(_("punkt"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    gone_through = models.BooleanField(_("genomgången"), default=False)
    comment = models.CharField(_("kommentar"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("punkt i säkerhetssamtal")
        verbose_name_plural = _("punkter i säkerhetssamtal")
        ordering = ["checklist", "position", "pk"]

    def __str__(self) -> str:
        return self.label


class CompetenceRecord(models.Model):
    """Whether one coordinator meets one competence requirement (met_on), or what is planned."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("enhet"), on_delete=models.PROTECT, related_name="+"
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lots/samordnare"),
        on_delete=models.PROTECT,
        related_name="competence_records",
    )
    item = models.ForeignKey(
        CompetenceItem, verbose_name=_("kompetenskrav"), on_delete=models.PROTECT, related_name="+"
    )
    met_on = models.DateField(_("uppfyllt sedan"), null=True, blank=True)
    note = models.CharField(_("planerad åtgärd eller kommentar"), max_length=500, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("kompetens")
        verbose_name_plural = _("kompetens")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "coordinator", "item"], name="competencerecord_unique_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.coordinator} – {self.item}"


class SafetyTalkReminder(models.Model):
    """That the supervisors were reminded of one staff member's due talk (jobs.py), so the
    daily job reminds each due date once. `due_key` is the due date, or "none" when the staff
    member has never had a talk."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    due_key = models.CharField(max_length=10)
    sent_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "employee", "due_key"], name="safetytalkreminder_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.due_key}"
