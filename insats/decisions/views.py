"""Decision pages (continued investigation, enrolment, re-examination), the follow-up
assessment, and the supervisor's overview."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.gate import Child, case_view
from insats.access.gate.consent import unit_page
from insats.access.policy import Section
from insats.cases.lifecycle import State, find_transition
from insats.core.forms import add_service_errors
from insats.core.units import UNIT_PARAM, chosen_unit
from insats.documents.pdf import pdf_response, render_pdf
from insats.investigation.services import unit_life_areas
from insats.investigation.views.common import current_version
from insats.organisations.models import Unit
from insats.plans.selectors import attention_for_staff
from insats.reporting import charts

from . import enrolment, selectors, services
from .forms import (
    ContinueInvestigationForm,
    EnrolmentForm,
    FollowUpForm,
    ReexaminationForm,
    ReopenForm,
)
from .models import CaseDecision, FollowUpAssessment

# A recorded decision (named `record`: the view's `decision` is the gate's).
DECISION_RECORD = Child(
    "record", CaseDecision, "decision_pk", related=("decided_by", "legal_reference")
)
FOLLOW_UP_RECORD = Child("record", FollowUpAssessment, "record_pk", related=("recorded_by",))


def _allowed(request, case, source: State, target: State):
    """Whether the user may make the decision move (with the reason if not)."""
    return policy.decide_transition(request.user, case, find_transition(source, target))


@case_view(Section.DECISIONS)
def decision_list(request, case, decision):
    context = {
        "case": case,
        "decisions": case.decisions.select_related("decided_by", "legal_reference"),
        "review": services.current_review([case.pk]).get(case.pk),
    }
    if case.state in (State.INVESTIGATION, State.DECISION):
        context["conditions"] = enrolment.conditions_for([case], request.user)[case.pk]
    return render(request, "decisions/decision_list.html", context)


def _decision_form(request, case, allowed, form, *, title, decide, done, **context):
    """Render a decision form; on a valid POST call `decide(cleaned_data)` and go to `done`.

    `done(cleaned_data)` returns (message, url). A user who may not decide sees the reason
    instead of the form, and a POST from them gets 403 and saves nothing.
    """
    if request.method == "POST" and allowed and form.is_valid():
        try:
            decide(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            message, url = done(form.cleaned_data)
            messages.success(request, message)
            return redirect(url)
    return render(
        request,
        "decisions/decision_form.html",
        {"case": case, "form": form, "allowed": allowed, "title": title, **context},
        status=200 if allowed or request.method == "GET" else 403,
    )


@case_view(Section.DECISIONS)
def decision_continue(request, case, decision):
    allowed = _allowed(request, case, State.INVESTIGATION, State.DECLINED)
    if case.state != State.INVESTIGATION:
        messages.error(request, _("Ärendet är inte under utredning."))
        return redirect("decision_list", pk=case.pk)
    return _decision_form(
        request,
        case,
        allowed,
        ContinueInvestigationForm(request.POST or None),
        title=_("Beslut om fortsatt utredning"),
        decide=lambda data: services.decide_continued_investigation(
            case=case,
            by=request.user,
            outcome=data["outcome"] == "yes",
            reasons=data["reasons"],
            decided_on=data["decided_on"],
        ),
        done=lambda data: (
            _("Beslutet om fortsatt utredning är registrerat."),
            reverse("decision_list", args=[case.pk]),
        ),
    )


@case_view(Section.DECISIONS)
def decision_enrol(request, case, decision):
    allowed = _allowed(request, case, State.DECISION, State.ASSIGNMENT)
    if case.state != State.DECISION:
        messages.error(request, _("Ärendet är inte lämnat för beslut."))
        return redirect("decision_list", pk=case.pk)

    def done(data):
        if data["outcome"] == "yes":
            return (
                _("Inskrivningen är beslutad. Gör nu den första uppföljningsbedömningen."),
                reverse("follow_up_create", args=[case.pk]) + "?kind=first",
            )
        return (
            _("Avslaget är registrerat och ärendet avslutat."),
            reverse("case_detail", args=[case.pk]),
        )

    return _decision_form(
        request,
        case,
        allowed,
        EnrolmentForm(request.POST or None, case=case),
        title=_("Beslut om inskrivning"),
        decide=lambda data: services.decide_enrolment(
            case=case,
            by=request.user,
            outcome=data["outcome"] == "yes",
            decided_on=data["decided_on"],
            reasons=data["reasons"],
            legal_reference=data["legal_reference"],
            review_on=data["review_on"],
            **{name: data[name] for name in EnrolmentForm.GROUNDS},
        ),
        done=done,
        conditions=enrolment.conditions_for([case], request.user)[case.pk],
        more_information=enrolment.police_needs_more_information(case),
    )


@case_view(Section.DECISIONS)
def decision_reexamine(request, case, decision):
    allowed = _allowed(request, case, State.DECISION, State.ASSIGNMENT)
    if case.state not in services.ENROLLED_STATES:
        messages.error(request, _("Bistånd omprövas bara i pågående insatser."))
        return redirect("decision_list", pk=case.pk)
    return _decision_form(
        request,
        case,
        allowed,
        ReexaminationForm(request.POST or None),
        title=_("Omprövning av bistånd"),
        decide=lambda data: services.reexamine_support(case=case, by=request.user, **data),
        done=lambda data: (
            _("Omprövningen är registrerad."),
            reverse("decision_list", args=[case.pk]),
        ),
        review=services.current_review([case.pk]).get(case.pk),
    )


@case_view(Section.DECISIONS)
def decision_reopen(request, case, decision):
    allowed = _allowed(request, case, State.DISCHARGED, State.IMPLEMENTATION)
    if case.state != State.DISCHARGED:
        messages.error(request, _("Bara ett utskrivet ärende kan återöppnas."))
        return redirect("decision_list", pk=case.pk)
    return _decision_form(
        request,
        case,
        allowed,
        ReopenForm(request.POST or None),
        title=_("Återöppna ärendet"),
        decide=lambda data: services.decide_reopen(case=case, by=request.user, **data),
        done=lambda data: (
            _("Ärendet är återöppnat och kan ändras igen."),
            reverse("case_detail", args=[case.pk]),
        ),
    )


@case_view(Section.DECISIONS, log_as=log.Action.PRINT, child=DECISION_RECORD)
def decision_pdf(request, case, decision, record):
    pdf = render_pdf("documents/decision.html", {"case": case, "decision": record}, request=request)
    return pdf_response(pdf, f"beslut-{case.number}-{record.pk}.pdf")


# --- Follow-up assessment -------------------------------------------------------------------


@case_view(Section.FOLLOW_UP)
def follow_up_list(request, case, decision):
    assessments = list(
        FollowUpAssessment.objects.filter(case=case, superseded_at__isnull=True)
        .select_related("recorded_by")
        .prefetch_related("ratings__life_area")
        .order_by("kind", "assessed_on")
    )
    return render(
        request,
        "decisions/follow_up_list.html",
        {
            "case": case,
            "assessments": assessments,
            "rows": selectors.follow_up_rows(case, assessments),
            "indicators": selectors.follow_up_indicators(assessments),
            "may_write": policy.decide_section(request.user, case, Section.FOLLOW_UP, write=True),
            "missing_kinds": [
                kind
                for kind in FollowUpAssessment.Kind
                if kind not in {a.kind for a in assessments}
            ],
            "is_enrolled": case.state in services.ENROLLED_STATES,
        },
    )


def _follow_up_form_page(request, case, form, *, kind, previous=None):
    if request.method == "POST" and form.is_valid():
        try:
            services.follow_up_save(
                case=case,
                by=request.user,
                kind=kind,
                previous=previous,
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Uppföljningsbedömningen är sparad."))
            return redirect("follow_up_list", pk=case.pk)
    return render(
        request,
        "decisions/follow_up_form.html",
        {
            "case": case,
            "form": form,
            "kind_label": FollowUpAssessment.Kind(kind).label,
            "previous": previous,
        },
    )


@case_view(Section.FOLLOW_UP, write=True)
def follow_up_create(request, case, decision):
    kind = request.GET.get("kind", FollowUpAssessment.Kind.FIRST)
    if kind not in FollowUpAssessment.Kind.values:
        raise Http404
    form = FollowUpForm(
        request.POST or None,
        life_areas=unit_life_areas(case),
        initial={"assessed_on": timezone.localdate()},
    )
    return _follow_up_form_page(request, case, form, kind=kind)


@case_view(Section.FOLLOW_UP, write=True, child=FOLLOW_UP_RECORD)
def follow_up_edit(request, case, decision, record):
    if request.method == "GET" and not record.is_current:
        return redirect("follow_up_edit", pk=case.pk, record_pk=current_version(record).pk)
    form = FollowUpForm(
        request.POST or None,
        life_areas=unit_life_areas(case),
        initial=FollowUpForm.initial_from(record),
    )
    return _follow_up_form_page(request, case, form, kind=record.kind, previous=record)


@case_view(Section.FOLLOW_UP, child=FOLLOW_UP_RECORD)
def follow_up_detail(request, case, decision, record):
    shown = record
    if request.GET.get("version"):  # another version of the same series, or 404
        shown = FOLLOW_UP_RECORD.fetch(request.GET["version"], case.pk)
        if shown.series != record.series:
            raise Http404
        shown.case = case
    return render(
        request,
        "decisions/follow_up_detail.html",
        {
            "case": case,
            "record": shown,
            "ratings": shown.ratings.select_related("life_area"),
            "versions": record.versions(),
            "may_write": policy.decide_section(request.user, case, Section.FOLLOW_UP, write=True),
        },
    )


# --- The supervisor's overview --------------------------------------------------------------


def _caseload_chart(overview):
    """Open cases per coordinator, before and after enrolment (the table beside has the same)."""
    rows = [*overview.caseload, *filter(None, [overview.without_coordinator])]
    if not rows:
        return None
    names = [
        row.coordinator.get_full_name() or row.coordinator.username
        if row.coordinator
        else _("Utan aktiv lots")
        for row in rows
    ]
    return charts.grouped_columns(
        _("Ärenden per lots"),
        names,
        [
            (_("Aktualisering–beslut"), [(row.early, str(row.early)) for row in rows]),
            (_("Inskrivna"), [(row.enrolled, str(row.enrolled)) for row in rows]),
        ],
    )


@unit_page(policy.review_units)
def supervision(request, units):
    """Everything in one unit that needs the supervisor's attention, on one page.

    A supervisor of several units picks one (?enhet=); an unknown unit falls back to the first.
    """
    units = list(Unit.objects.filter(pk__in=units).order_by("name", "pk"))
    unit = chosen_unit(request, units)
    today = timezone.localdate()
    overview = selectors.supervision_overview(
        request.user, unit, today, review_horizon=today + timedelta(days=30)
    )
    attention = attention_for_staff(request.user, {unit.pk}, today)
    shown = [*overview.cases, *attention.cases]
    if shown:
        policy.log_listing(request.user, "supervision", shown, detail=f"unit={unit.pk}")
    else:  # nothing named, but the read of the unit's overview is still logged
        log.record(
            user=request.user,
            action=log.Action.SEARCH,
            object_type="supervision",
            unit_id=unit.pk,
            detail=f"unit={unit.pk} cases=",
        )
    return render(
        request,
        "decisions/supervision.html",
        {
            "overview": overview,
            "today": today,
            "attention": attention,
            "summary": selectors.supervision_summary(overview, attention),
            "caseload_chart": _caseload_chart(overview),
            "unit": unit,
            "units": units,
            "unit_param": UNIT_PARAM,
        },
    )
