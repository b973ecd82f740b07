"""Read queries for staff safety. Each starts from the unit the caller has already cleared with
the policy (views: policy.review_units / the user's own records), and runs a fixed number of
queries however many staff, talks or records the unit has."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.utils.translation import gettext_lazy as _

from insats.access import policy
from insats.organisations.models import Membership, Role, Unit

from .models import (
    CompetenceItem,
    CompetenceRecord,
    SafetyChecklistItem,
    SafetyTalk,
    SafetyTalkItem,
    next_due,
)

# Operative staff: who must have a safety talk every year (the guidance: "all operativ
# personal"). Supervisors hold the talks; a supervisor who also works as a coordinator or
# investigator is operative staff too, and another supervisor holds their talk.
OPERATIVE_ROLES = frozenset({Role.COORDINATOR, Role.INVESTIGATOR})
COORDINATOR_ROLES = frozenset({Role.COORDINATOR})
DUE_SOON_DAYS = 30


class Status:
    """Where a staff member stands with their yearly talk."""

    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    OK = "ok"
    LABELS = {
        OVERDUE: _("Försenad"),
        DUE_SOON: _("Snart"),
        OK: _("I tid"),
    }
    ORDER = {OVERDUE: 0, DUE_SOON: 1, OK: 2}


def talk_status(last_held_on: date | None, today: date) -> str:
    """Overdue with no talk, or when the last one is more than a year old; due soon when the
    next is due within 30 days (today included)."""
    if last_held_on is None:
        return Status.OVERDUE
    due = next_due(last_held_on)
    if due < today:
        return Status.OVERDUE
    if due <= today + timedelta(days=DUE_SOON_DAYS):
        return Status.DUE_SOON
    return Status.OK


def _by_name(queryset):
    return queryset.order_by("last_name", "first_name", "username", "pk")


def operative_staff(unit_id: int):
    return _by_name(policy.unit_staff(unit_id, OPERATIVE_ROLES))


def coordinators(unit_id: int):
    return _by_name(policy.unit_staff(unit_id, COORDINATOR_ROLES))


def supervisors(unit_id: int):
    return _by_name(policy.unit_staff(unit_id, {Role.SUPERVISOR}))


# --- The supervisor's overview --------------------------------------------------------------


@dataclass
class StaffRow:
    user: object
    roles: list[str]
    last_talk: SafetyTalk | None  # the latest signed talk: only a signed talk counts as held
    status: str
    draft: SafetyTalk | None = None  # the latest unsigned talk, still to be signed

    @property
    def next_due(self) -> date | None:
        return self.last_talk.next_due if self.last_talk else None

    @property
    def status_label(self) -> str:
        return str(Status.LABELS[self.status])


def _latest_talk(unit: Unit, *, signed: bool):
    return (
        SafetyTalk.objects.filter(unit=unit, employee=OuterRef("pk"), signed_at__isnull=not signed)
        .order_by("-held_on", "-pk")
        .values("pk")[:1]
    )


def _newer_draft(draft: SafetyTalk | None, signed: SafetyTalk | None) -> SafetyTalk | None:
    """A draft held before the latest signed talk was overtaken by it: not shown as pending."""
    if draft is None or (signed is not None and draft.held_on < signed.held_on):
        return None
    return draft


def staff_overview(unit: Unit, today: date) -> list[StaffRow]:
    """Every operative staff member with their latest signed talk, status and any unsigned
    draft, the overdue first (three queries). A draft does not count as held: the guidance
    asks for a talk the manager has signed."""
    roles = Membership.objects.filter(
        organisation__unit=unit, active=True, role__in=OPERATIVE_ROLES
    ).order_by("role")
    staff = list(
        operative_staff(unit.pk)
        .annotate(
            last_talk_id=Subquery(_latest_talk(unit, signed=True)),
            draft_id=Subquery(_latest_talk(unit, signed=False)),
        )
        .prefetch_related(Prefetch("memberships", queryset=roles, to_attr="unit_roles"))
    )
    talks = SafetyTalk.objects.select_related("manager", "signed_by").in_bulk(
        [pk for user in staff for pk in (user.last_talk_id, user.draft_id) if pk]
    )
    rows = []
    for user in staff:
        talk = talks.get(user.last_talk_id)
        rows.append(
            StaffRow(
                user=user,
                roles=sorted({m.get_role_display() for m in user.unit_roles}),
                last_talk=talk,
                status=talk_status(talk.held_on if talk else None, today),
                draft=_newer_draft(talks.get(user.draft_id), talk),
            )
        )
    rows.sort(key=lambda row: Status.ORDER[row.status])  # stable: names stay in order
    return rows


@dataclass
class CompetenceSummary:
    user: object
    met: list = field(default_factory=list)
    missing: list = field(default_factory=list)


def unit_competence_items(unit_id: int):
    return CompetenceItem.objects.filter(unit_id=unit_id, active=True).order_by("position", "label")


def competence_overview(unit: Unit) -> tuple[list[CompetenceSummary], list[CompetenceItem]]:
    """Per coordinator, which of the unit's active requirements are met (three queries)."""
    items = list(unit_competence_items(unit.pk))
    people = list(coordinators(unit.pk))
    met = set(
        CompetenceRecord.objects.filter(
            unit=unit,
            coordinator__in=[user.pk for user in people],
            met_on__isnull=False,
        ).values_list("coordinator_id", "item_id")
    )
    rows = []
    for user in people:
        row = CompetenceSummary(user)
        for item in items:
            (row.met if (user.pk, item.pk) in met else row.missing).append(item)
        rows.append(row)
    return rows, items


# --- One talk, one person ------------------------------------------------------------------


def checklist_items(unit_id: int):
    """The unit's active items of both checklists, general first, in the unit's order."""
    return SafetyChecklistItem.objects.filter(unit_id=unit_id, active=True).order_by(
        "checklist", "position", "label"
    )


CHECKLIST_ORDER = [value for value, _label in SafetyChecklistItem.Checklist.choices]


def grouped(rows) -> list[tuple[str, list]]:
    """Rows with a `checklist` attribute (items, talk items, forms of either) per checklist, in
    the checklists' order; an empty checklist is left out."""
    labels = dict(SafetyChecklistItem.Checklist.choices)
    groups = []
    for checklist in CHECKLIST_ORDER:
        members = [row for row in rows if _checklist_of(row) == checklist]
        if members:
            groups.append((labels[checklist], members))
    return groups


def _checklist_of(row) -> str:
    return getattr(row, "checklist", None) or row.item.checklist


def talk_items(talk: SafetyTalk) -> list[SafetyTalkItem]:
    return list(talk.items.order_by("checklist", "position", "pk"))


def talk_with_people(pk: int) -> SafetyTalk | None:
    return (
        SafetyTalk.objects.select_related(
            "unit", "employee", "manager", "signed_by", "shared_by", "created_by"
        )
        .filter(pk=pk)
        .first()
    )


def earlier_talks(talk: SafetyTalk) -> list[SafetyTalk]:
    """The employee's other talks in the same unit, newest first (the history)."""
    return list(
        SafetyTalk.objects.filter(unit_id=talk.unit_id, employee_id=talk.employee_id)
        .exclude(pk=talk.pk)
        .select_related("manager")
        .order_by("-held_on", "-pk")
    )


def own_talks(user) -> list[SafetyTalk]:
    return list(
        SafetyTalk.objects.filter(employee=user)
        .select_related("unit", "manager", "signed_by")
        .order_by("-held_on", "-pk")
    )


def competence_units_of(coordinator) -> list[Unit]:
    """Units where the user is an active coordinator or has competence records kept."""
    return list(
        Unit.objects.filter(
            Q(
                pk__in=Membership.objects.filter(
                    user=coordinator,
                    active=True,
                    role=Role.COORDINATOR,
                    user__is_active=True,
                ).values("organisation__unit_id")
            )
            | Q(pk__in=CompetenceRecord.objects.filter(coordinator=coordinator).values("unit_id"))
        ).order_by("name", "pk")
    )


@dataclass
class CompetenceRow:
    item: CompetenceItem
    record: CompetenceRecord | None

    @property
    def met_on(self) -> date | None:
        return self.record.met_on if self.record else None

    @property
    def note(self) -> str:
        return self.record.note if self.record else ""

    @property
    def is_met(self) -> bool:
        return self.met_on is not None


def competence_rows(unit_id: int, coordinator) -> list[CompetenceRow]:
    """One row per active requirement of the unit, with what is kept for the coordinator."""
    records = {
        r.item_id: r
        for r in CompetenceRecord.objects.filter(
            unit_id=unit_id, coordinator=coordinator
        ).select_related("updated_by")
    }
    return [CompetenceRow(item, records.get(item.pk)) for item in unit_competence_items(unit_id)]


@dataclass
class DistrictEvidence:
    """What the system knows for two of the district checklist's questions (seed 001)."""

    staff: int
    talked: int  # operative staff with a signed talk held during the year
    coordinators: int
    competent: int  # coordinators meeting every active requirement

    @property
    def every_staff_talked(self) -> bool:
        return self.staff > 0 and self.talked == self.staff

    @property
    def every_coordinator_competent(self) -> bool:
        return self.coordinators > 0 and self.competent == self.coordinators


def district_evidence(unit: Unit, year: int) -> DistrictEvidence:
    """Safety talks held in `year` and competence met, as evidence beside the checklist's
    answers (which stay the answerer's own judgement)."""
    staff = list(operative_staff(unit.pk).values_list("pk", flat=True))
    talked = (
        SafetyTalk.objects.filter(
            unit=unit, employee__in=staff, held_on__year=year, signed_at__isnull=False
        )
        .values("employee")
        .distinct()
        .count()
    )
    summaries, items = competence_overview(unit)
    return DistrictEvidence(
        staff=len(staff),
        talked=talked,
        coordinators=len(summaries),
        competent=sum(1 for row in summaries if items and not row.missing),
    )
