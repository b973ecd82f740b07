"""Write use cases for the action plan: save (optimistic lock + revision), progress reports,
follow-ups.

Every change to the plan — the coordinator's save, a member's report, a follow-up that closes
goals — is a new revision with a snapshot of the whole plan, so any two can be compared and a
save based on an older revision is refused instead of overwriting someone else's change.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.policy import Section
from insats.cases.models import Case, CaseMember
from insats.investigation.services import unit_life_areas
from insats.organisations.models import Organisation

from .models import (
    ActionPlan,
    GoalResult,
    MeasureReport,
    PlanFollowUp,
    PlanGoal,
    PlanMeasure,
    PlanRevision,
)

CONFLICT = "conflict"


def plan_of(case: Case) -> ActionPlan | None:
    return ActionPlan.objects.filter(case=case).first()


# --- Snapshots and comparing revisions ------------------------------------------------------


def life_area_ref(area) -> dict:
    """How a snapshot names a life area: by id and code, with the consent category that decided
    who could read the goal then, and its label as it read then (display text only, never used
    to match: labels are renamed and repeat across categories)."""
    return {
        "id": area.pk,
        "code": area.code,
        "category": area.category_code,
        "label": area.label,
    }


def snapshot(plan: ActionPlan) -> dict:
    """The whole plan as plain data (names, not ids, where people read them; life areas by id
    and category, see life_area_ref)."""
    goals = plan.goals.select_related("life_area")
    measures = plan.measures.select_related(
        "responsible_member__user", "responsible_staff", "responsible_organisation"
    )
    return {
        "status": plan.status,
        "main_goal": plan.main_goal,
        "commitments": plan.commitments,
        "next_follow_up_at": _iso(plan.next_follow_up_at),
        "next_follow_up_place": plan.next_follow_up_place,
        "acute_contact": plan.acute_contact,
        "goals": [
            {
                "id": g.pk,
                "life_area": life_area_ref(g.life_area),
                "goal": g.goal,
                "target": g.target,
                "measured_by": g.measured_by,
                "closed_on": _iso(g.closed_on),
            }
            for g in goals
        ],
        "measures": [
            {
                "id": m.pk,
                "goal": m.goal_id,
                "what": m.what,
                "how": m.how,
                "where": m.where,
                "starts_on": _iso(m.starts_on),
                "due_on": _iso(m.due_on),
                "after": m.after_id,
                "responsible": m.responsible_name,
                "organisation": m.responsible_organisation.name
                if m.responsible_organisation_id
                else "",
                "status": m.status,
            }
            for m in measures
        ],
    }


def _iso(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


@dataclass(frozen=True)
class Change:
    kind: str  # "added", "removed", "changed"
    part: str  # "plan", "goal", "measure"
    item: str  # which goal or measure, as people name it
    field: str  # the snapshot key that changed ("" for added/removed)
    before: str
    after: str


def _identity(value):
    """What makes two snapshot values the same: a life area is the same area whatever its label
    said when each snapshot was saved."""
    if isinstance(value, dict):
        return value.get("id") or value.get("label", "")
    return value


def _text(value) -> str:
    """A snapshot value as people read it: a life area by its label as it read then."""
    if isinstance(value, dict):
        return str(value.get("label", ""))
    return str(value)


def changes_between(old: dict, new: dict) -> list[Change]:
    """What differs between two snapshots, in reading order: plan fields, goals, measures."""
    changes = [
        Change("changed", "plan", "", key, str(old.get(key, "")), str(new.get(key, "")))
        for key in PLAN_FIELDS
        if old.get(key, "") != new.get(key, "")
    ]
    for part, key, fields in (
        ("goal", "goals", GOAL_FIELDS),
        ("measure", "measures", MEASURE_FIELDS),
    ):
        before = {row["id"]: row for row in old.get(key, [])}
        after = {row["id"]: row for row in new.get(key, [])}
        for pk, row in after.items():
            name = row.get("goal") if part == "goal" else row.get("what")
            if pk not in before:
                changes.append(Change("added", part, name, "", "", ""))
                continue
            for field in fields:
                old_value, new_value = before[pk].get(field, ""), row.get(field, "")
                if _identity(old_value) != _identity(new_value):
                    changes.append(
                        Change("changed", part, name, field, _text(old_value), _text(new_value))
                    )
        for pk, row in before.items():
            if pk not in after:
                name = row.get("goal") if part == "goal" else row.get("what")
                changes.append(Change("removed", part, name, "", "", ""))
    return changes


PLAN_FIELDS = (
    "status",
    "main_goal",
    "commitments",
    "next_follow_up_at",
    "next_follow_up_place",
    "acute_contact",
)
GOAL_FIELDS = ("life_area", "goal", "target", "measured_by", "closed_on")
MEASURE_FIELDS = (
    "what",
    "how",
    "where",
    "starts_on",
    "due_on",
    "after",
    "responsible",
    "organisation",
    "status",
)


def _new_revision(plan: ActionPlan, by) -> PlanRevision:
    plan.revision += 1
    plan.updated_by = by
    plan.save(update_fields=["revision", "updated_by", "updated_at"])
    return PlanRevision.objects.create(
        plan=plan, number=plan.revision, snapshot=snapshot(plan), saved_by=by
    )


def _log(by, case, plan, decision, detail: str) -> None:
    log.record(
        user=by,
        action=log.Action.CHANGE if plan.revision > 1 else log.Action.CREATE,
        object_type=str(Section.PLAN),
        case=case,
        object_id=plan.pk,
        grounds=decision.grounds,
        detail=f"{detail} revision={plan.revision}",
    )


def conflict_error(plan: ActionPlan | None) -> ValidationError:
    if plan is None:  # a form that claims a revision of a plan that does not exist
        return ValidationError(_("Planen finns inte. Ladda om sidan."), code=CONFLICT)
    latest = plan.revisions.select_related("saved_by").first()
    who = latest.saved_by if latest else plan.updated_by
    when = timezone.localtime(latest.saved_at if latest else plan.updated_at)
    return ValidationError(
        _(
            "Planen har ändrats av %(by)s %(at)s (revision %(revision)s) medan du skrev. "
            "Ingenting av det du skrivit har sparats eller försvunnit: jämför med den sparade "
            "versionen nedan, för över det som ska med och spara igen."
        )
        % {"by": who, "at": when.strftime("%Y-%m-%d %H:%M"), "revision": plan.revision},
        code=CONFLICT,
    )


# --- Saving the plan ------------------------------------------------------------------------


@transaction.atomic
def plan_save(
    *,
    case: Case,
    by,
    based_on_revision: int,
    main_goal: str,
    goals: list[dict],
    measures: list[dict],
    status: str = ActionPlan.Status.DRAFT,
    commitments: str = "",
    next_follow_up_at: datetime | None = None,
    next_follow_up_place: str = "",
    acute_contact: str = "",
) -> ActionPlan:
    """Create or change the whole plan.

    `goals`: dicts with id (an existing goal's pk, or None for a new one), life_area, goal,
    target, measured_by, and optionally closed_on.
    `measures`: dicts with id (or None), goal (an index into `goals`), what, how, where,
    starts_on, due_on, after (an index into `measures`, or None), responsible_member (a
    CaseMember of the case) or responsible_staff (a user of the unit's social services),
    responsible_organisation, status.
    Goals and measures left out are removed; a measure that members have reported on cannot
    be removed (cancel it instead). `based_on_revision` is the revision the form showed: if the
    plan has moved on since, nothing is saved and a conflict is raised.
    """
    decision = policy.require_section(by, case, Section.PLAN)
    plan = ActionPlan.objects.select_for_update().filter(case=case).first()
    if (plan.revision if plan else 0) != based_on_revision:
        raise conflict_error(plan)
    errors = _check(case, main_goal, status, goals, measures)
    existing_measures = set(plan.measures.values_list("pk", flat=True)) if plan else set()
    kept = {m["id"] for m in measures if m.get("id")}
    if plan and not kept <= existing_measures:
        raise ValidationError(_("Åtgärden hör inte till planen."))
    if plan and not {g["id"] for g in goals if g.get("id")} <= set(
        plan.goals.values_list("pk", flat=True)
    ):
        raise ValidationError(_("Målet hör inte till planen."))
    removed = existing_measures - kept
    if removed and MeasureReport.objects.filter(measure_id__in=removed).exists():
        errors["measures"] = _(
            "En åtgärd som någon har rapporterat på kan inte tas bort. Sätt den som inställd."
        )
    if errors:
        raise ValidationError(errors)

    fields = {
        "main_goal": main_goal.strip(),
        "status": status,
        "commitments": commitments.strip(),
        "next_follow_up_at": next_follow_up_at,
        "next_follow_up_place": next_follow_up_place.strip(),
        "acute_contact": acute_contact.strip(),
    }
    if plan is None:
        plan = ActionPlan.objects.create(case=case, updated_by=by, **fields)
    else:
        for name, value in fields.items():
            setattr(plan, name, value)
        plan.save()
    PlanMeasure.objects.filter(pk__in=removed).delete()
    saved_goals = []
    for position, row in enumerate(goals):
        goal = PlanGoal.objects.get(pk=row["id"]) if row.get("id") else PlanGoal(plan=plan)
        goal.life_area = row["life_area"]
        goal.goal = row["goal"].strip()
        goal.target = row["target"].strip()
        goal.measured_by = row["measured_by"].strip()
        goal.closed_on = row.get("closed_on")
        goal.position = position
        goal.save()
        saved_goals.append(goal)
    plan.goals.exclude(pk__in=[g.pk for g in saved_goals]).delete()
    saved_measures = []
    for position, row in enumerate(measures):
        measure = PlanMeasure.objects.get(pk=row["id"]) if row.get("id") else PlanMeasure(plan=plan)
        measure.goal = saved_goals[row["goal"]]
        for name in ("what", "how", "where"):
            setattr(measure, name, (row.get(name) or "").strip())
        measure.starts_on = row.get("starts_on")
        if measure.due_on != row["due_on"]:
            measure.overdue_reminded_on = None  # a new due date earns a new reminder
        measure.due_on = row["due_on"]
        measure.responsible_member = row.get("responsible_member")
        measure.responsible_staff = row.get("responsible_staff")
        measure.responsible_organisation = row.get("responsible_organisation")
        measure.status = row.get("status") or PlanMeasure.Status.PLANNED
        measure.position = position
        measure.after = None
        measure.save()
        saved_measures.append(measure)
    for measure, row in zip(saved_measures, measures, strict=True):
        if row.get("after") is not None:
            measure.after = saved_measures[row["after"]]
            measure.save(update_fields=["after"])
    _new_revision(plan, by)
    _log(by, case, plan, decision, "saved")
    return plan


def _check(case: Case, main_goal: str, status: str, goals: list, measures: list) -> dict:
    errors: dict = {}
    if not main_goal.strip():
        errors["main_goal"] = _("Skriv planens huvudmål.")
    if status not in ActionPlan.Status.values:
        errors["status"] = _("Välj status för planen.")
    areas = {a.pk for a in unit_life_areas(case)}
    goal_errors = []
    for number, goal in enumerate(goals, start=1):
        if goal["life_area"].pk not in areas and not goal.get("id"):
            goal_errors.append(
                _("Mål %(n)s: välj ett livsområde ur enhetens lista.") % {"n": number}
            )
        if not (goal.get("goal") or "").strip():
            goal_errors.append(_("Mål %(n)s: skriv målet.") % {"n": number})
        if not (goal.get("target") or "").strip() or not (goal.get("measured_by") or "").strip():
            goal_errors.append(
                _("Mål %(n)s: ett mätbart mål anger när det är nått och hur det mäts.")
                % {"n": number}
            )
    if goal_errors:
        errors["goals"] = goal_errors
    members = {m.pk for m in CaseMember.objects.filter(case=case, removed_at__isnull=True)}
    staff = set(policy.unit_staff(case.unit_id).values_list("pk", flat=True))
    measure_errors = []
    for number, row in enumerate(measures, start=1):
        label = {"n": number}
        if not (row.get("what") or "").strip():
            measure_errors.append(_("Åtgärd %(n)s: skriv vad som ska göras.") % label)
        if not isinstance(row.get("goal"), int) or not 0 <= row["goal"] < len(goals):
            measure_errors.append(_("Åtgärd %(n)s: välj vilket mål den hör till.") % label)
        if row.get("due_on") is None:
            measure_errors.append(_("Åtgärd %(n)s: ange när den ska vara klar.") % label)
        elif row.get("starts_on") and row["starts_on"] > row["due_on"]:
            measure_errors.append(_("Åtgärd %(n)s: starten ligger efter slutdatumet.") % label)
        member, user = row.get("responsible_member"), row.get("responsible_staff")
        if member is None and user is None:
            measure_errors.append(_("Åtgärd %(n)s: ange vem som ansvarar.") % label)
        elif member is not None and user is not None:
            measure_errors.append(_("Åtgärd %(n)s: ange en ansvarig person, inte två.") % label)
        elif member is not None and member.pk not in members:
            measure_errors.append(_("Åtgärd %(n)s: den ansvariga är inte med i gruppen.") % label)
        elif user is not None and user.pk not in staff:
            measure_errors.append(
                _("Åtgärd %(n)s: den ansvariga arbetar inte i enhetens socialtjänst.") % label
            )
        org = row.get("responsible_organisation")
        if isinstance(org, Organisation) and org.unit_id != case.unit_id:
            measure_errors.append(_("Åtgärd %(n)s: organisationen hör inte till enheten.") % label)
        after = row.get("after")
        if after is not None and (not 0 <= after < len(measures) or after == number - 1):
            measure_errors.append(_("Åtgärd %(n)s: den kan inte vänta på sig själv.") % label)
        if row.get("status", PlanMeasure.Status.PLANNED) not in PlanMeasure.Status.values:
            measure_errors.append(_("Åtgärd %(n)s: välj status.") % label)
    if measure_errors:
        errors["measures"] = measure_errors
    return errors


# --- Members report on their measures -------------------------------------------------------


@transaction.atomic
def measure_report(*, measure: PlanMeasure, by, status: str, note: str) -> MeasureReport:
    """A responsible member (or the case's staff) reports progress; the plan gets a revision."""
    case = measure.plan.case
    decision = policy.require_measure_report(by, measure)
    errors = {}
    if status not in PlanMeasure.Status.values:
        errors["status"] = _("Välj status.")
    if not note.strip():
        errors["note"] = _("Skriv vad som har hänt.")
    if errors:
        raise ValidationError(errors)
    plan = ActionPlan.objects.select_for_update().get(pk=measure.plan_id)
    report = MeasureReport.objects.create(
        measure=measure, status=status, note=note.strip(), reported_by=by
    )
    PlanMeasure.objects.filter(pk=measure.pk).update(status=status)
    _new_revision(plan, by)
    _log(by, case, plan, decision, f"report measure={measure.pk}")
    return report


# --- Following up the plan ------------------------------------------------------------------


@transaction.atomic
def plan_follow_up(
    *, case: Case, by, held_on: date, results: list[dict], note: str = ""
) -> PlanFollowUp:
    """Record a follow-up: each open goal met / partly / not met; met goals are closed."""
    decision = policy.require_section(by, case, Section.PLAN)
    plan = ActionPlan.objects.select_for_update().filter(case=case).first()
    if plan is None:
        raise ValidationError(_("Det finns ingen handlingsplan att följa upp."))
    errors = {}
    if held_on > timezone.localdate():
        errors["held_on"] = _("Datumet kan inte ligga i framtiden.")
    open_goals = {g.pk for g in plan.goals.filter(closed_on__isnull=True)}
    if {r["goal"].pk for r in results} - open_goals:
        errors["results"] = _("Bara planens öppna mål följs upp.")
    if any(r["result"] not in GoalResult.Result.values for r in results):
        errors["results"] = _("Välj resultat för varje mål.")
    if not results:
        errors["results"] = _("Ange resultat för minst ett mål.")
    if errors:
        raise ValidationError(errors)
    follow_up = PlanFollowUp.objects.create(
        plan=plan, held_on=held_on, note=note.strip(), recorded_by=by
    )
    GoalResult.objects.bulk_create(
        GoalResult(
            follow_up=follow_up,
            goal=r["goal"],
            result=r["result"],
            note=(r.get("note") or "").strip(),
        )
        for r in results
    )
    met = [r["goal"].pk for r in results if r["result"] == GoalResult.Result.MET]
    PlanGoal.objects.filter(pk__in=met).update(closed_on=held_on)
    _new_revision(plan, by)
    _log(by, case, plan, decision, "follow-up")
    return follow_up
