"""Case pages: list, intake, the case page and its lifecycle moves. Thin: parse, call, render."""

from dataclasses import fields

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from insats.access import policy
from insats.access.decorators import SIGNED_IN, access_policy
from insats.access.gate import case_view, fetch_person
from insats.access.gate.consent import unit_page
from insats.access.policy import Action
from insats.core.forms import add_service_errors
from insats.people.forms import PersonForm
from insats.people.services import person_create

from . import selectors, services
from .forms import AssignStaffForm, CaseFilterForm, IntakeForm, TransitionForm
from .lifecycle import State, find_transition, transitions_from


@access_policy(SIGNED_IN)
def case_list(request):
    units = policy.units_visible_to(request.user)
    form = CaseFilterForm(request.GET or None, units=units)
    filters = form.cleaned_data if form.is_valid() else {}
    cases = selectors.case_list(
        request.user,
        q=filters.get("q", ""),
        state=filters.get("state", ""),
        coordinator=filters.get("coordinator"),
        sort=CaseFilterForm.SORTS.get(filters.get("sort") or "number"),
    )
    page = Paginator(cases, settings.INSATS_PAGE_SIZE).get_page(request.GET.get("sida"))
    policy.log_listing(request.user, "case_list", page.object_list, detail=_query_detail(filters))
    query = request.GET.copy()
    query.pop("sida", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "may_create": units.exists(),
        },
    )


def _query_detail(filters: dict) -> str:
    return " ".join(f"{key}={value}" for key, value in filters.items() if value)


@unit_page(policy.staff_units)
def case_create(request, units):
    """Intake, for the social-services staff of a unit (the gate gives their units)."""
    form = IntakeForm(request.POST or None, units=policy.units_visible_to(request.user))
    # The person's fields are only validated when the intake is an identified one.
    person_form = PersonForm(
        request.POST if form.identified else None,
        prefix="person",
        unit=None,
        initial={
            key.removeprefix("person-"): value
            for key, value in request.POST.items()
            if key.startswith("person-")
        },
    )
    if request.method == "POST" and form.is_valid():
        unit = form.cleaned_data["unit"]
        person_form.unit = unit
        identified = form.cleaned_data["identification"] == IntakeForm.IDENTIFIED
        if not identified or person_form.is_valid():
            try:
                with transaction.atomic():
                    person = None
                    if identified:
                        person = person_create(
                            unit=unit, by=request.user, **person_form.person_fields()
                        )
                    case = services.case_create_intake(
                        unit=unit,
                        created_by=request.user,
                        person=person,
                        age=form.cleaned_data["age"],
                        source=form.cleaned_data["source"],
                        source_detail=form.cleaned_data["source_detail"],
                        intake_basis=form.cleaned_data["intake_basis"],
                        age_at_first_offence=form.cleaned_data["age_at_first_offence"],
                        coordinator=form.cleaned_data["coordinator"],
                    )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Ärendet %(alias)s är registrerat.") % {"alias": case.alias}
                )
                warning = services.age_warning(unit, case.age_at_intake)
                if warning:
                    messages.warning(request, warning)
                return redirect("case_detail", pk=case.pk)
    return render(
        request,
        "cases/case_create.html",
        {"form": form, "person_form": person_form, "identified": form.identified},
    )


@case_view()
def case_detail(request, case, decision):
    """The case page: its data comes cut to the decision (selectors.case_page); the flags
    below only say which actions the policy allows, so closed cases offer no changes."""
    page = selectors.case_page(request.user, case, decision)
    user = request.user
    may_transition = policy.decide_case(user, Action.TRANSITION_CASE, case)
    context = {
        "case": case,
        "decision": decision,
        **{f.name: getattr(page, f.name) for f in fields(page)},
        "transitions": [
            (t, policy.decide_transition(user, case, t)) for t in transitions_from(case.state)
        ]
        if may_transition
        else None,
        "may_assign": policy.decide_case(user, Action.ASSIGN_STAFF, case),
        "may_manage_members": policy.decide_case(user, Action.MANAGE_MEMBERS, case),
        "may_review_log": policy.may_review_log(user, case.unit_id),
        "may_manage_consent": policy.decide_case(user, Action.MANAGE_CONSENT, case),
        "may_record_disclosure": policy.decide_case(user, Action.RECORD_DISCLOSURE, case),
        # A meeting with the group changes the case's record: staff, open cases.
        "may_plan_meeting": policy.decide_case(user, Action.EDIT_INVESTIGATION, case),
    }
    return render(request, "cases/case_detail.html", context)


DECISION_PAGES = {
    State.INVESTIGATION: "decision_continue",
    State.DECISION: "decision_enrol",
    State.DISCHARGED: "decision_reopen",
}


@case_view(action=Action.TRANSITION_CASE)
def case_transition(request, case, decision, to_state: str):
    transition = find_transition(case.state, to_state)
    if transition is None:
        messages.error(request, _("Det steget är inte möjligt i ärendets nuvarande läge."))
        return redirect("case_detail", pk=case.pk)
    if transition.is_decision:
        # Decisions are recorded with their grounds on the decision pages.
        return redirect(DECISION_PAGES[transition.source], pk=case.pk)
    allowed = policy.decide_transition(request.user, case, transition)
    form = TransitionForm(request.POST or None, case=case, transition=transition)
    if request.method == "POST" and allowed and form.is_valid():
        try:
            services.case_transition(
                case=case,
                to_state=to_state,
                by=request.user,
                reason=form.cleaned_data["reason"],
                discharge_reason=form.cleaned_data.get("discharge_reason"),
                summary=form.cleaned_data.get("summary", ""),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Ärendet är nu i steget ”%(state)s”.") % {"state": State(to_state).label},
            )
            return redirect("case_detail", pk=case.pk)
    status = 200 if allowed or request.method == "GET" else 403
    return render(
        request,
        "cases/case_transition.html",
        {"case": case, "transition": transition, "form": form, "allowed": allowed},
        status=status,
    )


@case_view(action=Action.ASSIGN_STAFF)
def case_assign(request, case, decision):
    form = AssignStaffForm(
        request.POST or None,
        case=case,
        initial={"coordinator": case.coordinator_id, "investigator": case.investigator_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.case_assign_staff(case=case, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Ärendets personal är sparad."))
            return redirect("case_detail", pk=case.pk)
    return render(request, "cases/case_assign.html", {"case": case, "form": form})


@case_view(action=Action.IDENTIFY_CASE)
def case_identify(request, case, decision):
    if case.is_identified:
        return redirect("case_detail", pk=case.pk)
    form = PersonForm(request.POST or None, unit=case.unit)
    existing = None
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                person = person_create(unit=case.unit, by=request.user, **form.person_fields())
                services.case_identify(case=case, person=person, by=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Ärendet är identifierat."))
            return redirect("case_detail", pk=case.pk)
    elif request.method == "POST" and "number" in form.errors and form.data.get("number"):
        existing = selectors.existing_person(request.user, case, form.data["number"])
    return render(
        request, "cases/case_identify.html", {"case": case, "form": form, "existing": existing}
    )


@case_view(action=Action.IDENTIFY_CASE)
@require_POST
def case_identify_existing(request, case, decision):
    person, _person_decision = fetch_person(request.user, request.POST.get("person"))
    try:
        services.case_identify(case=case, person=person, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Ärendet är identifierat."))
    return redirect("case_detail", pk=case.pk)
