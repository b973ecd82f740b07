"""The action plan (handlingsplan, bilaga 3.5) of a case: read it, edit it, its revisions, PDF.

The plan is one document per case, edited as a whole by the case's social-services staff on one
page. Each save is a new revision; the form carries the revision it showed, so a save based on
an older one is refused (optimistic lock) and the user compares before saving again. A partner
member reads the plan goal by goal: only goals whose life area their consent covers, cut by
selectors.py before anything reaches a template (the page, the revisions and the PDF alike).
"""

from collections import Counter

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from insats.access import log, policy
from insats.access.gate import case_view
from insats.access.policy import Section
from insats.cases.lifecycle import State
from insats.cases.models import Case
from insats.core.forms import add_service_errors
from insats.documents.pdf import pdf_response, render_pdf
from insats.organisations.models import LifeArea

from .. import forms, selectors, services
from ..models import ActionPlan, PlanMeasure, PlanRevision
from ..selectors import AreaGroup

SECTION = Section.PLAN
# A plan is made once the case is enrolled (beviljad insats).
ENROLLED = frozenset({State.ASSIGNMENT, State.IMPLEMENTATION, State.FOLLOW_UP})


def _plan(case: Case) -> ActionPlan | None:
    plan = ActionPlan.objects.select_related("updated_by").filter(case=case).first()
    if plan is not None:
        plan.case = case
    return plan


def _may_write(user, case: Case) -> bool:
    return bool(policy.decide_section(user, case, SECTION, write=True))


# --- Reading the plan -------------------------------------------------------------------------


@case_view(SECTION)
def plan_detail(request, case, decision):
    plan = _plan(case)
    may_write = _may_write(request.user, case)
    areas = selectors.plan_areas(plan, decision, timezone.localdate()) if plan else []
    return render(
        request,
        "plans/plan_detail.html",
        {
            "case": case,
            "plan": plan,
            "areas": areas,
            "reportable": _reportable(request.user, case, decision, areas),
            "is_staff": decision.full,
            "may_write": may_write and (plan is not None or case.state in ENROLLED),
            "enrolled": case.state in ENROLLED,
        },
    )


def _reportable(user, case: Case, decision, areas: list[AreaGroup]) -> set[int]:
    """Measures the user may report on from the plan page (policy.decide_measure_report,
    without a query per measure): staff on an open case every shown one, a member their own."""
    if case.is_closed:
        return set()
    shown = [m for group in areas for goal in group.goals for m in goal.measures]
    if decision.full:
        return {m.pk for m in shown}
    return {m.pk for m in shown if m.responsible_user_id == user.pk}


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


@case_view(SECTION, write=True)
def plan_edit(request, case, decision):
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
            "saved_areas": (
                selectors.plan_areas(plan, decision, timezone.localdate()) if stale else []
            ),
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
        return names.get(value) or str(selectors.HIDDEN_MEASURE)
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


@case_view(SECTION)
def plan_revisions(request, case, decision):
    plan = _plan(case)
    revisions = list(plan.revisions.select_related("saved_by").order_by("number")) if plan else []
    before = None
    for revision in revisions:
        shown = selectors.visible_snapshot(revision.snapshot, decision)
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


def _number(request, name: str, default: int, numbers: list[int]) -> int:
    """A revision number from the query string: one of the plan's revisions or 0 (no plan yet).

    Anything else (garbage, negative, or too large for the database) is a 404 before any query
    is made with it."""
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    try:
        number = int(raw)
    except ValueError:
        raise Http404 from None
    if number != 0 and number not in numbers:
        raise Http404
    return number


@case_view(SECTION)
def plan_compare(request, case, decision):
    plan = _plan(case)
    if plan is None or plan.revision == 0:
        raise Http404
    numbers = list(plan.revisions.order_by("number").values_list("number", flat=True))
    latest = numbers[-1] if numbers else plan.revision
    till = _number(request, "till", latest, numbers)
    fran = _number(request, "fran", max(till - 1, 0), numbers)
    wanted = {n for n in (fran, till) if n != 0}
    found = {
        r.number: r
        for r in PlanRevision.objects.filter(plan=plan, number__in=wanted).select_related(
            "saved_by"
        )
    }
    if wanted - set(found):
        raise Http404
    old = selectors.visible_snapshot(found[fran].snapshot, decision) if fran else {}
    new = selectors.visible_snapshot(found[till].snapshot, decision) if till else {}
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


def _print_rows(areas: list[AreaGroup]) -> list[dict]:
    """One table row per measure (a goal without measures gets one row), with the spans of the
    area and goal cells."""
    rows = []
    for group in areas:
        first_of_area = len(rows)
        for goal in group.goals:
            measures = goal.measures or (None,)
            for index, measure in enumerate(measures):
                rows.append(
                    {
                        "area": group.area if not rows[first_of_area:] else None,
                        "goal": goal if index == 0 else None,
                        "goal_span": len(measures),
                        "measure": measure,
                    }
                )
        rows[first_of_area]["area_span"] = len(rows) - first_of_area
    return rows


@case_view(SECTION, log_as=log.Action.PRINT)
def plan_pdf(request, case, decision):
    plan = _plan(case)
    if plan is None:
        raise Http404
    today = timezone.localdate()
    areas = selectors.plan_areas(plan, decision, today)
    pdf = render_pdf(
        "documents/plan.html",
        {
            "case": case,
            "plan": plan,
            "rows": _print_rows(areas),
            "is_staff": decision.full,
            "today": today,
        },
        request=request,
    )
    return pdf_response(pdf, f"handlingsplan-{case.number}.pdf")
