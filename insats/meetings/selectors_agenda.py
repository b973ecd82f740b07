"""Read queries for agendas and tasks: who sees which item in full, and whose tasks are open.

An agenda item about a case shows its title, preparation, minutes and tasks only to users who
may see that case (policy.visible_item_cases: its group members under a covering consent and
the unit's social-services staff); a returnee item only to the unit's social-services staff;
the general part to everyone who may see the meeting. Everyone else gets the item
de-identified: its number and part, nothing more. A row for a hidden item carries no
reference to the item at all, so a template cannot show what it was never given.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import policy
from insats.consent.models import Consent
from insats.organisations.models import User

from .models import AgendaItem, Invitation, Meeting, Task

Part = AgendaItem.Part
# The agenda's order: the individual part first, then returnees, then the general part.
PART_ORDER = (Part.INDIVIDUAL, Part.RETURNEES, Part.GENERAL)


def hidden_label(part: str) -> str:
    """What a user without grounds sees instead of the item."""
    if part == Part.RETURNEES:
        return _("Återvändare (avidentifierad)")
    return _("Ärende (avidentifierat)")


def item_shown(item: AgendaItem | None, meeting: Meeting, visible_cases, staff_units) -> bool:
    """May the user see the item's details (or, for item None, the meeting's own minutes)?

    The rule is the policy's (policy.agenda_item_shown, which the gate asks for one item);
    `visible_cases` is the batched answer of policy.visible_item_cases for the page's cases,
    `staff_units` the units where the user is social-services staff.
    """
    return policy.agenda_item_shown(item, meeting, visible_cases, staff_units)


def sort_items(items) -> list[AgendaItem]:
    return sorted(items, key=lambda i: (PART_ORDER.index(i.part), i.position, i.pk))


@dataclass
class ConsentStatus:
    """The case's consents that are valid today, for the staff's view of the agenda."""

    consents: list = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.consents)

    @property
    def organisations(self) -> list[str]:
        names = []
        for consent in self.consents:
            for organisation in consent.organisations.all():
                if str(organisation) not in names:
                    names.append(str(organisation))
        return names

    @property
    def valid_until(self) -> date | None:
        return max((c.valid_until for c in self.consents), default=None)


def consent_statuses(case_ids, day: date) -> dict[int, ConsentStatus]:
    """Per case: its active consents and the organisations they cover (two queries)."""
    statuses: dict[int, ConsentStatus] = defaultdict(ConsentStatus)
    if not case_ids:
        return statuses
    consents = (
        Consent.objects.active_on(day)
        .filter(case_id__in=list(case_ids))
        .prefetch_related("organisations")
        .order_by("valid_until", "pk")
    )
    for consent in consents:
        statuses[consent.case_id].consents.append(consent)
    return statuses


@dataclass
class AgendaRow:
    """One item as the user may see it; `item` is None when it is shown de-identified."""

    number: int
    part: str
    item: AgendaItem | None = None
    tasks: list = field(default_factory=list)
    consent: ConsentStatus | None = None  # for the unit's staff, on case items
    first_in_part: bool = False
    last_in_part: bool = False

    @property
    def shown(self) -> bool:
        return self.item is not None

    @property
    def label(self) -> str:
        return self.item.title if self.item is not None else hidden_label(self.part)


@dataclass
class Agenda:
    meeting: Meeting
    rows: list[AgendaRow]
    is_staff: bool
    meeting_tasks: list = field(default_factory=list)  # tasks of the general minutes

    def part(self, code: str) -> list[AgendaRow]:
        return [row for row in self.rows if row.part == code]

    @property
    def individual(self) -> list[AgendaRow]:
        return self.part(Part.INDIVIDUAL)

    @property
    def returnees(self) -> list[AgendaRow]:
        return self.part(Part.RETURNEES)

    @property
    def general(self) -> list[AgendaRow]:
        return self.part(Part.GENERAL)

    def row(self, number: int) -> AgendaRow | None:
        if 1 <= number <= len(self.rows):
            return self.rows[number - 1]
        return None

    @property
    def shown_rows(self) -> list[AgendaRow]:
        return [row for row in self.rows if row.shown]

    @property
    def shown_case_ids(self) -> list[int]:
        ids = []
        for row in self.shown_rows:
            for case_id in (row.item.case_id, getattr(row.item.returnee, "case_id", None)):
                if case_id is not None and case_id not in ids:
                    ids.append(case_id)
        return ids


def _tasks_prefetch():
    return Prefetch(
        "tasks", queryset=Task.objects.select_related("responsible").order_by("due_on", "pk")
    )


def agenda(user, meeting: Meeting, day: date | None = None) -> Agenda:
    """The meeting's agenda as the user may see it, in a fixed number of queries."""
    day = day or timezone.localdate()
    items = sort_items(
        meeting.items.select_related(
            "case__unit", "returnee__case", "registered_by"
        ).prefetch_related(_tasks_prefetch())
    )
    case_ids = {i.case_id for i in items if i.case_id is not None}
    if meeting.case_id is not None:
        case_ids.add(meeting.case_id)
    visible = policy.visible_item_cases(user, case_ids) if case_ids else set()
    staff_units = policy.staff_units(user)
    is_staff = meeting.unit_id in staff_units
    statuses = (
        consent_statuses({i.case_id for i in items if i.case_id is not None}, day)
        if is_staff
        else {}
    )
    rows = []
    for number, item in enumerate(items, start=1):
        row = AgendaRow(number=number, part=item.part)
        if item_shown(item, meeting, visible, staff_units):
            row.item = item
            row.tasks = list(item.tasks.all())
            if is_staff and item.case_id is not None:
                row.consent = statuses[item.case_id]
        rows.append(row)
    for code in PART_ORDER:
        in_part = [row for row in rows if row.part == code]
        if in_part:
            in_part[0].first_in_part = True
            in_part[-1].last_in_part = True
    meeting_tasks = []
    if item_shown(None, meeting, visible, staff_units):
        meeting_tasks = list(
            meeting.tasks.filter(item__isnull=True)
            .select_related("responsible")
            .order_by("due_on", "pk")
        )
    return Agenda(meeting=meeting, rows=rows, is_staff=is_staff, meeting_tasks=meeting_tasks)


def responsible_users(meeting: Meeting) -> list[User]:
    """Who may be made responsible for a task: users invited to the meeting and unit staff."""
    invited = Invitation.objects.filter(meeting=meeting, user__isnull=False).values("user")
    staff = policy.unit_staff(meeting.unit_id).values("pk")
    return list(
        User.objects.filter(Q(pk__in=invited) | Q(pk__in=staff), is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


# --- Tasks ------------------------------------------------------------------------------------


@dataclass
class TaskRow:
    """A task as its reader may see it: de-identified while they may not see its case."""

    task: Task
    shown: bool
    overdue: bool
    meeting_shown: bool

    @property
    def description(self) -> str:
        if self.shown:
            return self.task.description
        return _("Uppgift i ett ärende (avidentifierad)")

    @property
    def item_label(self) -> str:
        item = self.task.item
        if item is None:
            return _("Allmän del")
        if self.shown:
            return item.title
        return hidden_label(item.part)

    @property
    def meeting_label(self) -> str:
        meeting = self.task.meeting
        when = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d")
        if self.meeting_shown:
            return f"{meeting.title} ({when})"
        return _("Möte %(date)s") % {"date": when}


def open_tasks(user, today: date) -> list[TaskRow]:
    """The user's open tasks, soonest due first; overdue ones flagged (fixed queries).

    Only tasks of meetings the user may still see: once their ground for a meeting ends (an
    ended membership, a revoked consent on a case meeting), its tasks leave the list.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    tasks = list(
        Task.objects.filter(
            responsible=user,
            done_on__isnull=True,
            meeting__in=policy.meetings_visible_to(user).values("pk"),
        )
        .select_related("meeting__case", "item__case", "item__returnee__case")
        .order_by("due_on", "pk")
    )
    return task_rows(user, tasks, today)


def task_rows(user, tasks, today: date) -> list[TaskRow]:
    case_ids = set()
    for task in tasks:
        case_ids |= {task.meeting.case_id, task.item.case_id if task.item_id else None}
    case_ids.discard(None)
    visible = policy.visible_item_cases(user, case_ids) if case_ids else set()
    staff_units = policy.staff_units(user)
    meeting_ids = {task.meeting_id for task in tasks}
    seen_meetings = (
        set(
            policy.meetings_visible_to(user).filter(pk__in=meeting_ids).values_list("pk", flat=True)
        )
        if meeting_ids
        else set()
    )
    return [
        TaskRow(
            task=task,
            shown=item_shown(task.item, task.meeting, visible, staff_units),
            overdue=task.done_on is None and task.due_on < today,
            meeting_shown=task.meeting_id in seen_meetings,
        )
        for task in tasks
    ]


def shown_cases(rows: list[TaskRow]) -> list:
    """The cases whose details the task rows show, for the access log."""
    cases = {}
    for row in rows:
        if not row.shown:
            continue
        for case in (row.task.meeting.case, row.task.item.case if row.task.item_id else None):
            if case is not None:
                cases[case.pk] = case
    return list(cases.values())
