"""Police suitability assessment (polisens lämplighetsbedömning).

Only a police member of the case's group records it; the unit's staff and partners whose
consent covers criminality read it. "Inte lämplig" blocks enrolment, so the pages mark it.
"""

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.gate import Child, case_view
from insats.access.policy import Section
from insats.core.forms import add_service_errors
from insats.documents.pdf import pdf_response, render_pdf
from insats.investigation import services
from insats.investigation.forms.police import PoliceAssessmentForm
from insats.investigation.models import PoliceAssessment

from . import common

SECTION = Section.POLICE_ASSESSMENT
RECORD = Child("record", PoliceAssessment, "record_pk", related=("recorded_by", "organisation"))


def _version_of(request, record: PoliceAssessment) -> PoliceAssessment:
    """The record, or the version of its series that `?version=` names (404 if another)."""
    version = request.GET.get("version")
    if not version:
        return record
    shown = RECORD.fetch(version, record.case_id)
    if shown.series != record.series:
        raise Http404
    shown.case = record.case
    return shown


def _write_decision(request, case):
    return policy.decide_section(request.user, case, SECTION, write=True)


@case_view(SECTION)
def police_assessment(request, case, decision):
    every_version = list(
        PoliceAssessment.objects.filter(case=case)
        .select_related("recorded_by", "organisation")
        .order_by("version")
    )
    history = defaultdict(list)
    for record in every_version:
        history[record.series].append(record)
    assessments = sorted(
        (r for r in every_version if r.is_current),
        key=lambda r: (r.assessed_on, r.recorded_at),
        reverse=True,
    )
    for record in assessments:
        record.history = history[record.series]
    may_record = _write_decision(request, case)
    return render(
        request,
        "investigation/police/list.html",
        {
            "case": case,
            "assessments": assessments,
            "may_record": may_record,
            "not_suitable": any(
                r.outcome == PoliceAssessment.Outcome.NOT_SUITABLE for r in assessments
            ),
        },
    )


def _save(request, case, form, previous):
    """Call the service with the valid form: the saved record, or None with errors on the form."""
    try:
        record = services.police_assessment_save(
            case=case, by=request.user, previous=previous, **form.cleaned_data
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    messages.success(request, _("Polisens lämplighetsbedömning är sparad."))
    return record


@case_view(SECTION, write=True)
def police_assessment_create(request, case, decision):
    data = request.POST if request.method == "POST" else None
    form = PoliceAssessmentForm(data)
    if data is not None and form.is_valid():
        record = _save(request, case, form, None)
        if record is not None:
            return redirect("police_assessment_detail", pk=case.pk, record_pk=record.pk)
    return render(
        request,
        "investigation/police/form.html",
        {"case": case, "form": form, "record": None},
    )


@case_view(SECTION, write=True, child=RECORD)
def police_assessment_edit(request, case, decision, record):
    if request.method == "GET" and not record.is_current:
        current = common.current_version(record)
        return redirect("police_assessment_edit", pk=case.pk, record_pk=current.pk)
    data = request.POST if request.method == "POST" else None
    form = PoliceAssessmentForm(data, record=record)
    if data is not None and form.is_valid():
        saved = _save(request, case, form, record)
        if saved is not None:
            return redirect("police_assessment_detail", pk=case.pk, record_pk=saved.pk)
    return render(
        request,
        "investigation/police/form.html",
        {"case": case, "form": form, "record": record},
    )


@case_view(SECTION, child=RECORD)
def police_assessment_detail(request, case, decision, record):
    shown = _version_of(request, record)
    return render(
        request,
        "investigation/police/detail.html",
        {
            "case": case,
            "record": shown,
            "versions": shown.versions(),
            "may_record": _write_decision(request, case),
        },
    )


@case_view(SECTION, log_as=log.Action.PRINT, child=RECORD)
def police_assessment_pdf(request, case, decision, record):
    shown = _version_of(request, record)
    pdf = render_pdf(
        "documents/police_assessment.html", {"case": case, "record": shown}, request=request
    )
    return pdf_response(pdf, f"polisbedomning-{case.number}-v{shown.version}.pdf")


urlpatterns = [
    path("<int:pk>/polisbedomning/", police_assessment, name="police_assessment"),
    path("<int:pk>/polisbedomning/ny/", police_assessment_create, name="police_assessment_create"),
    path(
        "<int:pk>/polisbedomning/<int:record_pk>/",
        police_assessment_detail,
        name="police_assessment_detail",
    ),
    path(
        "<int:pk>/polisbedomning/<int:record_pk>/andra/",
        police_assessment_edit,
        name="police_assessment_edit",
    ),
    path(
        "<int:pk>/polisbedomning/<int:record_pk>/polisbedomning.pdf",
        police_assessment_pdf,
        name="police_assessment_pdf",
    ),
]
