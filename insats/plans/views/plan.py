"""The action plan (handlingsplan, bilaga 3.5) of a case: read it, edit it, its revisions, PDF.

The plan is one document per case, edited as a whole by the case's social-services staff on one
page. Each save is a new revision; the form carries the revision it showed, so a save based on
an older one is refused (optimistic lock) and the user compares before saving again. A partner
member reads the plan goal by goal: only goals whose life area their consent covers.
"""

from collections import Counter

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from insats.access import log, policy
from insats.access.decorators import OBJECT, access_policy
from insats.access.policy import Section
from insats.cases.lifecycle import State
from insats.cases.models import Case
from insats.core.forms import add_service_errors
from insats.documents.pdf import pdf_response, render_pdf
from insats.organisations.models import LifeArea

from .. import forms, selectors, services
from ..models import ActionPlan, PlanMeasure, PlanRevision

SECTION = Section.PLAN
# A plan is made once the case is enrolled (beviljad insats).
ENROLLED = frozenset({State.ASSIGNMENT, State.IMPLEMENTATION, State.FOLLOW_UP})


def _plan(case: Case) -> ActionPlan | None:
    plan = ActionPlan.objects.select_related("updated_by").filter(case=case).first()
    if plan is not None:
        plan.case = case
    return plan


def _is_staff(decision: policy.Decision) -> bool:
    return decision.full


def _may_write(user, case: Case) -> bool:
    return bool(policy.decide_section(user, case, SECTION, write=True))


# --- Reading the plan -------------------------------------------------------------------------


def _organisation(measure: PlanMeasure):
    if measure.responsible_organisation_id:
        return measure.responsible_organisation
    if measure.responsible_member_id:
        return measure.responsible_member.organisation
    return None


def _areas(plan: ActionPlan, decision: policy.Decision, today) -> list[dict]:
    """The goals the user may see, grouped per life area, each measure marked for display.

    A fixed number of queries whatever the number of goals, measures and reports."""
    goals = selectors.visible_goals(plan, decision)
    prefetch_related_objects(goals, "measures__responsible_member__organisation")
    groups: dict[int, dict] = {}
    for goal in goals:
        goal.shown_measures = list(goal.measures.all())
        for measure in goal.shown_measures:
            measure.overdue = measure.is_overdue(today)
            reports = list(measure.reports.all())
            measure.latest_report = reports[0] if reports else None
            measure.organisation = _organisation(measure)
        area = goal.life_area
        groups.setdefault(area.pk, {"area": area, "goals": []})["goals"].append(goal)
    return sorted(
        groups.values(), key=lambda g: (g["area"].position, g["area"].label, g["area"].pk)
    )


@access_policy(OBJECT)
def plan_detail(request, pk: int):
    case, decision = policy.get_section_or_404(request.user, pk, SECTION)
    plan = _plan(case)
    may_write = _may_write(request.user, case)
    areas = _areas(plan, decision, timezone.localdate()) if plan else []
    return render(
        request,
        "plans/plan_detail.html",
        {
            "case": case,
            "plan": plan,
            "areas": areas,
            "reportable": _reportable(request.user, case, decision, areas),
            "is_staff": _is_staff(decision),
            "may_write": may_write and (plan is not None or case.state in ENROLLED),
            "enrolled": case.state in ENROLLED,
        },
    )


def _reportable(user, case: Case, decision, areas) -> set[int]:
    """Measures the user may report on from the plan page (policy.decide_measure_report,
    without a query per measure): staff on an open case every shown one, a member their own."""
    if case.is_closed:
        return set()
    shown = [m for area in areas for goal in area["goals"] for m in goal.shown_measures]
    if _is_staff(decision):
        return {m.pk for m in shown}
    return {
        m.pk for m in shown if m.responsible_member_id and m.responsible_member.user_id == user.pk
    }


# --- Editing the plan -------------------------------------------------------------------------


def _life_areas(case: Case, plan: ActionPlan | None):
    """The unit's active life areas, and any area the plan's goals already use."""
    used = Q(pk__in=plan.goals.values("life_area")) if plan else Q(pk__in=[])
    return LifeArea.objects.filter(Q(unit_id=case.unit_id, active=True) | used).order_by(
        "position", "label", "pk"
    )


def _initial_rows(plan: ActionPlan | None, responsible) -> tuple[list, list]:
    if plan is None:
        return [], []
    goals = list(plan.goals.all())
    measures = list(plan.measures.select_related("responsible_member__user", "responsible_staff"))
    goal_index = {goal.pk: index for index, goal in enumerate(goals)}
    measure_index = {measure.pk: index for index, measure in enumerate(measures)}
    return (
        [forms.goal_initial(goal) for goal in goals],
        [forms.measure_initial(m, goal_index, measure_index, responsible) for m in measures],
    )


def _revision_choice(request) -> int | None:
    """The revision of the explicit "I have compared, save mine" button, if it was pressed."""
    try:
        return int(request.POST["save_mine"])
    except (KeyError, ValueError):
        return None


@access_policy(OBJECT)
def plan_edit(request, pk: int):
    case, decision = policy.get_section_or_404(request.user, pk, SECTION, write=True)
    plan = _plan(case)
    if plan is None and case.state not in ENROLLED:
        messages.error(request, _("Handlingsplanen görs när insatsen är beviljad."))
        return redirect("plan_detail", pk=case.pk)
    areas = _life_areas(case, plan)
    responsible = forms.Responsible(case)
    conflict = ""
    if request.method == "POST":
        form = forms.PlanForm(request.POST)
        goals = forms.goal_formset(request.POST, areas=areas)
        measures = forms.measure_formset(
            request.POST, case=case, goal_labels=goals.labels(), responsible=responsible
        )
        valid = [form.is_valid(), goals.is_valid(), measures.is_valid()]
        rows = forms.plan_rows(goals, measures) if all(valid) else None
        if rows is not None:
            based_on = _revision_choice(request)
            if based_on is None:
                based_on = form.cleaned_data["revision"]
            if plan is None and based_on != 0:
                form.add_error(None, _("Planen finns inte längre. Ladda om sidan."))
            else:
                try:
                    saved = services.plan_save(
                        case=case,
                        by=request.user,
                        based_on_revision=based_on,
                        goals=rows[0],
                        measures=rows[1],
                        **form.plan_fields(),
                    )
                except ValidationError as exc:
                    if getattr(exc, "code", None) == services.CONFLICT:
                        conflict = exc.messages[0]
                        plan = _plan(case)
                    else:
                        add_service_errors(form, exc)
                else:
                    if saved.revision == 1:
                        messages.success(request, _("Handlingsplanen är sparad."))
                    else:
                        messages.success(
                            request,
                            _("Handlingsplanen är sparad (version %(number)s).")
                            % {"number": saved.revision},
                        )
                    return redirect("plan_detail", pk=case.pk)
        shown_revision = form["revision"].value()
    else:
        initial_goals, initial_measures = _initial_rows(plan, responsible)
        form = forms.PlanForm(initial=forms.PlanForm.initial_from(plan))
        goals = forms.goal_formset(areas=areas, initial=initial_goals)
        measures = forms.measure_formset(
            case=case,
            goal_labels=goals.labels(),
            responsible=responsible,
            initial=initial_measures,
        )
        shown_revision = plan.revision if plan else 0
    stale = plan is not None and str(shown_revision) != str(plan.revision)
    if stale and not conflict:
        conflict = services.conflict_error(plan).messages[0]
    return render(
        request,
        "plans/plan_form.html",
        {
            "case": case,
            "plan": plan,
            "form": form,
            "goals": goals,
            "measures": measures,
            "errors": forms.summary(form, goals, measures),
            "conflict": conflict if stale else "",
            "saved_areas": _areas(plan, decision, timezone.localdate()) if stale else [],
        },
    )


# --- Revisions --------------------------------------------------------------------------------

FIELD_LABELS = {
    "status": gettext_lazy("Status"),
    "main_goal": gettext_lazy("Huvudmål"),
    "commitments": gettext_lazy("Egna åtaganden"),
    "next_follow_up_at": gettext_lazy("Nästa uppföljning"),
    "next_follow_up_place": gettext_lazy("Plats för uppföljningen"),
    "acute_contact": gettext_lazy("Vid akut läge, kontakta"),
    "life_area": gettext_lazy("Livsområde"),
    "goal": gettext_lazy("Mål"),
    "target": gettext_lazy("När är målet nått?"),
    "measured_by": gettext_lazy("Hur mäts det?"),
    "closed_on": gettext_lazy("Avslutat"),
    "what": gettext_lazy("Vad"),
    "how": gettext_lazy("Hur"),
    "where": gettext_lazy("Var"),
    "starts_on": gettext_lazy("Start"),
    "due_on": gettext_lazy("Klart senast"),
    "after": gettext_lazy("Väntar på"),
    "responsible": gettext_lazy("Ansvarig"),
    "organisation": gettext_lazy("Ansvarig organisation"),
}
PART_LABELS = {
    "plan": gettext_lazy("Planen"),
    "goal": gettext_lazy("Mål"),
    "measure": gettext_lazy("Åtgärd"),
}
KIND_LABELS = {
    "added": gettext_lazy("Tillagd"),
    "removed": gettext_lazy("Borttagen"),
    "changed": gettext_lazy("Ändrad"),
}


def _visible_snapshot(snapshot: dict, allowed_labels: set[str] | None) -> dict:
    """The snapshot as the user may read it: partners only goals (and their measures) of life
    areas their consent covers. A snapshot names its areas by label; unknown labels are hidden."""
    if allowed_labels is None:
        return snapshot
    goals = [g for g in snapshot.get("goals", []) if g.get("life_area") in allowed_labels]
    ids = {g.get("id") for g in goals}
    measures = [m for m in snapshot.get("measures", []) if m.get("goal") in ids]
    return {**snapshot, "goals": goals, "measures": measures}


def _allowed_labels(case: Case, decision: policy.Decision) -> set[str] | None:
    if _is_staff(decision):
        return None
    return set(
        LifeArea.objects.filter(
            unit_id=case.unit_id, category_code__in=decision.categories
        ).values_list("label", flat=True)
    )


def _summary(changes: list[services.Change]) -> str:
    """One line about what a revision changed: plan fields by name, goals and measures counted."""
    if not changes:
        return _("Inga ändringar i det du kan se.")
    parts = []
    fields = [str(FIELD_LABELS.get(c.field, c.field)).lower() for c in changes if c.part == "plan"]
    if fields:
        parts.append(_("ändrat: %(fields)s") % {"fields": ", ".join(fields)})
    items = Counter(
        (part, kind) for part, kind, _item in {(c.part, c.kind, c.item) for c in changes}
    )
    counted = {
        ("goal", "added"): lambda n: ngettext("%(n)s mål tillagt", "%(n)s mål tillagda", n),
        ("goal", "changed"): lambda n: ngettext("%(n)s mål ändrat", "%(n)s mål ändrade", n),
        ("goal", "removed"): lambda n: ngettext("%(n)s mål borttaget", "%(n)s mål borttagna", n),
        ("measure", "added"): lambda n: ngettext(
            "%(n)s åtgärd tillagd", "%(n)s åtgärder tillagda", n
        ),
        ("measure", "changed"): lambda n: ngettext(
            "%(n)s åtgärd ändrad", "%(n)s åtgärder ändrade", n
        ),
        ("measure", "removed"): lambda n: ngettext(
            "%(n)s åtgärd borttagen", "%(n)s åtgärder borttagna", n
        ),
    }
    for key, phrase in counted.items():
        if items.get(key):
            parts.append(phrase(items[key]) % {"n": items[key]})
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def _value(change: services.Change, value: str, snapshot: dict) -> str:
    """A snapshot value as people read it: status names, the measure waited for, dates."""
    if value in ("", "None"):
        return "–"
    if change.field == "status":
        choices = ActionPlan.Status if change.part == "plan" else PlanMeasure.Status
        try:
            return str(choices(value).label)
        except ValueError:
            return value
    if change.field == "after":
        names = {str(m.get("id")): m.get("what", "") for m in snapshot.get("measures", [])}
        return names.get(value) or _("en åtgärd du inte ser")
    return value


def _readable(changes, old: dict, new: dict) -> list[dict]:
    return [
        {
            "part": PART_LABELS[c.part],
            "item": c.item or "",
            "kind": c.kind,
            "kind_label": KIND_LABELS[c.kind],
            "field": FIELD_LABELS.get(c.field, c.field) if c.field else "",
            "before": _value(c, c.before, old) if c.kind == "changed" else "",
            "after": _value(c, c.after, new) if c.kind == "changed" else "",
        }
        for c in changes
    ]


@access_policy(OBJECT)
def plan_revisions(request, pk: int):
    case, decision = policy.get_section_or_404(request.user, pk, SECTION)
    plan = _plan(case)
    revisions = list(plan.revisions.select_related("saved_by").order_by("number")) if plan else []
    allowed = _allowed_labels(case, decision)
    before = None
    for revision in revisions:
        shown = _visible_snapshot(revision.snapshot, allowed)
        if before is None:
            revision.summary = _("Planen gjordes.")
        else:
            revision.summary = _summary(services.changes_between(before, shown))
        before = shown
    return render(
        request,
        "plans/plan_revisions.html",
        {"case": case, "plan": plan, "revisions": list(reversed(revisions))},
    )


def _number(request, name: str, default: int) -> int:
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise Http404 from None


@access_policy(OBJECT)
def plan_compare(request, pk: int):
    case, decision = policy.get_section_or_404(request.user, pk, SECTION)
    plan = _plan(case)
    if plan is None or plan.revision == 0:
        raise Http404
    numbers = list(plan.revisions.order_by("number").values_list("number", flat=True))
    latest = numbers[-1] if numbers else plan.revision
    till = _number(request, "till", latest)
    fran = _number(request, "fran", max(till - 1, 0))
    wanted = {n for n in (fran, till) if n != 0}
    found = {
        r.number: r
        for r in PlanRevision.objects.filter(plan=plan, number__in=wanted).select_related(
            "saved_by"
        )
    }
    if wanted - set(found):
        raise Http404
    allowed = _allowed_labels(case, decision)
    old = _visible_snapshot(found[fran].snapshot, allowed) if fran else {}
    new = _visible_snapshot(found[till].snapshot, allowed) if till else {}
    return render(
        request,
        "plans/plan_compare.html",
        {
            "case": case,
            "plan": plan,
            "numbers": numbers,
            "fran": fran,
            "till": till,
            "old": found.get(fran),
            "new": found.get(till),
            "changes": _readable(services.changes_between(old, new), old, new),
        },
    )


# --- Printing ---------------------------------------------------------------------------------


def _print_rows(areas: list[dict]) -> list[dict]:
    """One table row per measure (a goal without measures gets one row), with the spans of the
    area and goal cells."""
    rows = []
    for group in areas:
        first_of_area = len(rows)
        for goal in group["goals"]:
            measures = goal.shown_measures or [None]
            for index, measure in enumerate(measures):
                rows.append(
                    {
                        "area": group["area"] if not rows[first_of_area:] else None,
                        "goal": goal if index == 0 else None,
                        "goal_span": len(measures),
                        "measure": measure,
                    }
                )
        rows[first_of_area]["area_span"] = len(rows) - first_of_area
    return rows


@access_policy(OBJECT)
def plan_pdf(request, pk: int):
    case, decision = policy.get_section_or_404(request.user, pk, SECTION, log_as=log.Action.PRINT)
    plan = _plan(case)
    if plan is None:
        raise Http404
    today = timezone.localdate()
    areas = _areas(plan, decision, today)
    pdf = render_pdf(
        "documents/plan.html",
        {
            "case": case,
            "plan": plan,
            "rows": _print_rows(areas),
            "is_staff": _is_staff(decision),
            "today": today,
        },
        request=request,
    )
    return pdf_response(pdf, f"handlingsplan-{case.number}.pdf")


case_urlpatterns = [
    path("<int:pk>/handlingsplan/", plan_detail, name="plan_detail"),
    path("<int:pk>/handlingsplan/andra/", plan_edit, name="plan_edit"),
    path("<int:pk>/handlingsplan/versioner/", plan_revisions, name="plan_revisions"),
    path("<int:pk>/handlingsplan/jamfor/", plan_compare, name="plan_compare"),
    path("<int:pk>/handlingsplan/handlingsplan.pdf", plan_pdf, name="plan_pdf"),
]
urlpatterns = []
