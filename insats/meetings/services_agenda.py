"""Writing the agenda, the minutes and the tasks of a meeting, and logging who read what.

The gate decides who may write (policy.may_manage_meeting) and who may see an item
(policy.decide_agenda_item; selectors_agenda for a whole agenda); these services check the
data: an individual item names one of the unit's open cases, once per meeting; a returnee item
one of the unit's returnees or a hand-entered title; a task's responsible is invited to the
meeting or one of the unit's staff, and — for a task about a case — someone who may see that
case. Every write and every read of an item's details is logged (object_type "agenda_item" or
"task").
"""

from contextlib import nullcontext
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.cases.models import Case
from insats.casework.models import Returnee
from insats.core.integrity import only_one

from .models import AgendaItem, Meeting, Task
from .selectors_agenda import Part, responsible_users, sort_items

ITEM = "agenda_item"
TASK = "task"


def _case_of(meeting: Meeting, item: AgendaItem | None = None) -> Case | None:
    """The case an entry about this item is about (for the log's case column)."""
    if item is not None:
        if item.case_id is not None:
            return item.case
        if item.returnee_id is not None and item.returnee.case_id is not None:
            return item.returnee.case
    return meeting.case if meeting.case_id is not None else None


def _log(by, action, object_type, meeting, item=None, *, object_id="", detail="") -> None:
    log.record(
        user=by,
        action=action,
        object_type=object_type,
        case=_case_of(meeting, item),
        unit_id=meeting.unit_id,
        object_id=object_id,
        detail=f"meeting={meeting.pk} {detail}".strip(),
    )


# --- Reads ------------------------------------------------------------------------------------


def log_agenda_read(user, agenda) -> None:
    """One entry for an agenda page: the items and cases whose details it showed."""
    items = ",".join(str(row.item.pk) for row in agenda.shown_rows)
    cases = ",".join(map(str, agenda.shown_case_ids))
    meeting = agenda.meeting
    log.record(
        user=user,
        action=log.Action.VIEW,
        object_type=ITEM,
        case=meeting.case if meeting.case_id is not None else None,
        unit_id=meeting.unit_id,
        object_id="",
        detail=f"meeting={meeting.pk} items={items} cases={cases}",
    )


def log_item_read(user, item: AgendaItem, *, action: str = log.Action.VIEW) -> None:
    _log(user, action, ITEM, item.meeting, item, object_id=item.pk, detail=f"part={item.part}")


# --- Items ------------------------------------------------------------------------------------


def _already(field: str) -> dict:
    if field == "case":
        return {"case": _("Ärendet finns redan på dagordningen.")}
    return {"returnee": _("Återvändaren finns redan på dagordningen.")}


def _on_agenda(others, **lookup) -> bool:
    return others.filter(**lookup).exists()


def _only_once(case: Case | None, returnee: Returnee | None):
    """Write in a savepoint where a second item for the same case or returnee becomes the
    check's message: two requests can pass _check_item together, the constraint stops one."""
    if case is not None:
        return only_one(AgendaItem, "agendaitem_one_per_case", _already("case"))
    if returnee is not None:
        return only_one(AgendaItem, "agendaitem_one_per_returnee", _already("returnee"))
    return nullcontext()


def _check_item(
    meeting: Meeting,
    part: str,
    case: Case | None,
    returnee: Returnee | None,
    title: str,
    item: AgendaItem | None,
) -> str:
    """Validate an item's data; returns the title to save."""
    if part not in Part.values:
        raise ValidationError(_("Okänd del av dagordningen."))
    title = (title or "").strip()
    others = AgendaItem.objects.filter(meeting=meeting)
    if item is not None:
        others = others.exclude(pk=item.pk)
    if part == Part.INDIVIDUAL:
        if case is None:
            raise ValidationError({"case": _("Välj vilket ärende punkten gäller.")})
        if case.unit_id != meeting.unit_id:
            raise ValidationError({"case": _("Ärendet hör inte till mötets enhet.")})
        if case.is_closed and (item is None or item.case_id != case.pk):
            raise ValidationError({"case": _("Ärendet är avslutat och kan inte tas upp.")})
        if _on_agenda(others, case=case):
            raise ValidationError(_already("case"))
        return title or case.alias
    if case is not None:
        raise ValidationError(_("Endast den individuella delen har punkter om ärenden."))
    if part == Part.RETURNEES:
        if returnee is not None:
            if returnee.unit_id != meeting.unit_id:
                raise ValidationError({"returnee": _("Återvändaren hör inte till mötets enhet.")})
            if _on_agenda(others, returnee=returnee):
                raise ValidationError(_already("returnee"))
            default = returnee.case.alias if returnee.case_id else returnee.name
            return title or default or _("Återvändare")
        if not title:
            raise ValidationError({"title": _("Välj en återvändare eller skriv en rubrik.")})
        return title
    if returnee is not None:
        raise ValidationError(_("Endast delen om återvändare har punkter om återvändare."))
    if not title:
        raise ValidationError({"title": _("Skriv en rubrik för punkten.")})
    return title


@transaction.atomic
def item_create(
    *,
    meeting: Meeting,
    by,
    part: str,
    case: Case | None = None,
    returnee: Returnee | None = None,
    title: str = "",
    preparation: str = "",
) -> AgendaItem:
    title = _check_item(meeting, part, case, returnee, title, None)
    last = AgendaItem.objects.filter(meeting=meeting, part=part).aggregate(m=Max("position"))["m"]
    with _only_once(case, returnee):
        item = AgendaItem.objects.create(
            meeting=meeting,
            part=part,
            position=0 if last is None else last + 1,
            case=case,
            returnee=returnee,
            title=title[:200],
            preparation=preparation.strip(),
            registered_by=by,
        )
    _log(by, log.Action.CREATE, ITEM, meeting, item, object_id=item.pk, detail=f"part={part}")
    return item


@transaction.atomic
def item_update(
    *,
    item: AgendaItem,
    by,
    case: Case | None = None,
    returnee: Returnee | None = None,
    title: str = "",
    preparation: str = "",
) -> AgendaItem:
    meeting = item.meeting
    item.title = _check_item(meeting, item.part, case, returnee, title, item)[:200]
    item.case = case
    item.returnee = returnee
    item.preparation = preparation.strip()
    with _only_once(case, returnee):
        item.save()
    _log(by, log.Action.CHANGE, ITEM, meeting, item, object_id=item.pk, detail=f"part={item.part}")
    return item


@transaction.atomic
def item_delete(*, item: AgendaItem, by) -> None:
    meeting = item.meeting
    pk, part = item.pk, item.part
    _log(by, log.Action.CHANGE, ITEM, meeting, item, object_id=pk, detail=f"part={part} deleted")
    item.delete()


@transaction.atomic
def item_move(*, item: AgendaItem, by, direction: str) -> None:
    """Move the item one step up or down within its part (positions are renumbered)."""
    if direction not in ("up", "down"):
        raise ValidationError(_("Okänd riktning."))
    siblings = sort_items(
        AgendaItem.objects.select_for_update().filter(meeting_id=item.meeting_id, part=item.part)
    )
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == item.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])
    _log(
        by,
        log.Action.CHANGE,
        ITEM,
        item.meeting,
        item,
        object_id=item.pk,
        detail=f"moved {direction}",
    )


# --- Minutes and tasks ------------------------------------------------------------------------


def _check_responsible(meeting: Meeting, item: AgendaItem | None, user, allowed: set[int]) -> str:
    """Why this user cannot be responsible for a task of the item ('' when they can)."""
    name = user.get_full_name() or user.username
    if user.pk not in allowed:
        return _("%(name)s är varken inbjuden till mötet eller personal i enheten.") % {
            "name": name
        }
    if item is not None and item.part == Part.RETURNEES:
        if meeting.unit_id not in policy.staff_units(user):
            return _(
                "%(name)s kan inte se punkter om återvändare och kan inte få en uppgift i den."
            ) % {"name": name}
        return ""
    case_ids = {meeting.case_id, item.case_id if item is not None else None} - {None}
    if case_ids and policy.visible_item_cases(user, case_ids) != case_ids:
        return _("%(name)s kan inte se ärendet och kan därför inte få en uppgift i det.") % {
            "name": name
        }
    return ""


def _save_tasks(meeting: Meeting, item: AgendaItem | None, by, tasks: list[dict]) -> None:
    """Create, change and remove the tasks of an item (or of the general minutes).

    Each row: task_id (an existing task of the item, or None), description, responsible (a
    user), due_on, delete (bool).
    """
    existing = {
        task.pk: task
        for task in Task.objects.filter(meeting=meeting, item=item).select_related("responsible")
    }
    allowed = {user.pk for user in responsible_users(meeting)}
    errors = []
    for row in tasks:
        task = existing.get(row.get("task_id")) if row.get("task_id") else None
        if row.get("task_id") and task is None:
            errors.append(_("En uppgift finns inte längre. Ladda om sidan."))
            continue
        if row.get("delete"):
            continue
        responsible = row["responsible"]
        if task is None or task.responsible_id != responsible.pk:
            problem = _check_responsible(meeting, item, responsible, allowed)
            if problem:
                errors.append(problem)
    if errors:
        raise ValidationError({"tasks": errors})
    for row in tasks:
        task = existing.get(row.get("task_id")) if row.get("task_id") else None
        if row.get("delete"):
            if task is not None:
                _log(
                    by, log.Action.CHANGE, TASK, meeting, item, object_id=task.pk, detail="deleted"
                )
                task.delete()
            continue
        description = row["description"].strip()[:300]
        if task is None:
            task = Task.objects.create(
                meeting=meeting,
                item=item,
                description=description,
                responsible=row["responsible"],
                due_on=row["due_on"],
                created_by=by,
            )
            _log(by, log.Action.CREATE, TASK, meeting, item, object_id=task.pk)
            continue
        changed = (
            task.description != description
            or task.responsible_id != row["responsible"].pk
            or task.due_on != row["due_on"]
        )
        if changed:
            task.description = description
            task.responsible = row["responsible"]
            task.due_on = row["due_on"]
            task.save(update_fields=["description", "responsible", "due_on"])
            _log(by, log.Action.CHANGE, TASK, meeting, item, object_id=task.pk)


@transaction.atomic
def item_minutes_save(*, item: AgendaItem, by, minutes: str, tasks: list[dict]) -> AgendaItem:
    """The minutes of one item and the decisions (tasks) taken on it."""
    meeting = item.meeting
    _save_tasks(meeting, item, by, tasks)
    item.minutes = minutes.strip()
    item.save(update_fields=["minutes"])
    _log(by, log.Action.CHANGE, ITEM, meeting, item, object_id=item.pk, detail="minutes")
    return item


@transaction.atomic
def general_minutes_save(*, meeting: Meeting, by, minutes: str, tasks: list[dict]) -> Meeting:
    """The general part's minutes (meeting.general_minutes) and its tasks."""
    _save_tasks(meeting, None, by, tasks)
    meeting.general_minutes = minutes.strip()
    meeting.save(update_fields=["general_minutes", "updated_at"])
    _log(by, log.Action.CHANGE, ITEM, meeting, None, detail="part=general minutes")
    return meeting


@transaction.atomic
def task_mark_done(*, task: Task, by, done_on: date) -> Task:
    if task.done_on is not None:
        raise ValidationError(_("Uppgiften är redan klar."))
    task.done_on = done_on
    task.save(update_fields=["done_on"])
    _log(by, log.Action.CHANGE, TASK, task.meeting, task.item, object_id=task.pk, detail="done")
    return task
