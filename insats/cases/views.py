"""Case pages: list, intake, the case page and its lifecycle moves. Thin: parse, call, render."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from insats.access import policy
from insats.access.decorators import OBJECT, SIGNED_IN, access_policy
from insats.consent.selectors import case_consents
from insats.core.forms import add_service_errors
from insats.decisions import enrolment
from insats.decisions.selectors import case_sections
from insats.meetings.models import Meeting
from insats.organisations.models import InformationCategory
from insats.people.forms import PersonForm
from insats.people.models import Person
from insats.people.personnummer import InvalidIdentityNumber, parse
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


@access_policy(SIGNED_IN)
def case_create(request):
    units = policy.units_visible_to(request.user)
    if not units.exists():
        raise Http404
    form = IntakeForm(request.POST or None, units=units)
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


@access_policy(OBJECT)
def case_detail(request, pk: int):
    case, decision = policy.get_case_or_404(request.user, pk)
    is_staff = decision.full  # staff see every category; partners a subset
    context = {
        "case": case,
        "decision": decision,
        "is_staff": is_staff,
        "sees_criminality": decision.covers("criminality"),
        "members": case.members.filter(removed_at__isnull=True).select_related(
            "user", "organisation"
        ),
        "sections": case_sections(case, decision),
        "meetings": Meeting.objects.filter(case=case).order_by("-starts_at")[:5],
    }
    if not is_staff:
        context["categories"] = InformationCategory.objects.filter(
            unit=case.unit, code__in=decision.categories
        )
    if is_staff:
        context.update(
            transitions=[
                (t, policy.decide_transition(request.user, case, t))
                for t in transitions_from(case.state)
            ],
            history=case.transitions.select_related("by", "discharge_reason"),
            age_warning=services.age_warning(case.unit, case.age_at_intake),
            may_assign=policy.decide_case(request.user, policy.Action.ASSIGN_STAFF, case),
            may_manage_members=policy.decide_case(request.user, policy.Action.MANAGE_MEMBERS, case),
            may_review_log=policy.may_review_log(request.user, case.unit_id),
            consents=case_consents(case),
            conditions=enrolment.conditions_for([case], request.user)[case.pk]
            if case.state in (State.INVESTIGATION, State.DECISION)
            else None,
            disclosures=case.disclosures.select_related(
                "to_organisation", "legal_basis", "disclosed_by"
            ),
        )
    return render(request, "cases/case_detail.html", context)


DECISION_PAGES = {
    State.INVESTIGATION: "decision_continue",
    State.DECISION: "decision_enrol",
    State.DISCHARGED: "decision_reopen",
}


@access_policy(OBJECT)
def case_transition(request, pk: int, to_state: str):
    case, _decision = policy.get_case_or_404(request.user, pk, policy.Action.TRANSITION_CASE)
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


@access_policy(OBJECT)
def case_assign(request, pk: int):
    case, _decision = policy.get_case_or_404(request.user, pk)
    decision = policy.decide_case(request.user, policy.Action.ASSIGN_STAFF, case)
    if not decision:
        raise Http404
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


@access_policy(OBJECT)
def case_identify(request, pk: int):
    case, _decision = policy.get_case_or_404(request.user, pk, policy.Action.IDENTIFY_CASE)
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
        existing = _existing_person(request.user, case, form.data["number"])
    return render(
        request, "cases/case_identify.html", {"case": case, "form": form, "existing": existing}
    )


@access_policy(OBJECT)
@require_POST
def case_identify_existing(request, pk: int):
    case, _decision = policy.get_case_or_404(request.user, pk, policy.Action.IDENTIFY_CASE)
    person, _person_decision = policy.get_person_or_404(request.user, request.POST.get("person"))
    try:
        services.case_identify(case=case, person=person, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Ärendet är identifierat."))
    return redirect("case_detail", pk=case.pk)


def _existing_person(user, case, text: str) -> Person | None:
    """The already registered person a typed number belongs to, if the user may see them."""
    try:
        digits = parse(text).digits
    except InvalidIdentityNumber:
        return None
    people = policy.people_visible_to(user).filter(unit=case.unit, identity_number=digits)
    return people.first()
