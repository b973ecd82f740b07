"""Hotbildsbedömning (bilaga 3.3): the case's threat assessments, their versions and measures.

Staff write; partners whose consent covers criminality read (policy.SECTION_CATEGORIES).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.gate import Child, case_view
from insats.access.policy import Section
from insats.core.forms import add_service_errors
from insats.core.records import current
from insats.documents.pdf import pdf_response, render_pdf
from insats.investigation import services
from insats.investigation.forms import threat as forms
from insats.investigation.models import ThreatAssessment, ThreatLevel, ThreatMeasure

from . import common

SECTION = Section.THREAT
RECORD = Child("record", ThreatAssessment, "record_pk", related=("recorded_by",))


def _may_write(user, case) -> bool:
    return bool(policy.decide_section(user, case, SECTION, write=True))


def _with_details(queryset):
    return queryset.select_related("recorded_by", "supervisor_informed").prefetch_related(
        Prefetch("measures", queryset=ThreatMeasure.objects.select_related("organisation"))
    )


def _shown_version(request, record: ThreatAssessment) -> ThreatAssessment:
    """The record of the URL, or the version of the same series that ?version= names."""
    wanted = request.GET.get("version", "")
    pk = record.pk
    if wanted:
        try:
            pk = int(wanted)
        except ValueError:
            raise Http404 from None
    shown = _with_details(ThreatAssessment.objects.filter(series=record.series, pk=pk)).first()
    if shown is None:
        raise Http404
    return shown


def _mark_overdue(record: ThreatAssessment) -> list[ThreatMeasure]:
    today = timezone.localdate()
    measures = list(record.measures.all())
    for measure in measures:
        measure.is_overdue = measure.done_on is None and measure.due_on < today
    return measures


@case_view(SECTION)
def threat_list(request, case, decision):
    today = timezone.localdate()
    open_measure = Q(measures__done_on__isnull=True)
    assessments = (
        current(ThreatAssessment, case)
        .select_related("supervisor_informed")
        .annotate(
            open_measures=Count("measures", filter=open_measure),
            overdue_measures=Count("measures", filter=open_measure & Q(measures__due_on__lt=today)),
        )
        .order_by("-assessed_on", "-recorded_at", "-pk")
    )
    return render(
        request,
        "investigation/threat/threat_list.html",
        {
            "case": case,
            "assessments": assessments,
            "may_write": _may_write(request.user, case),
            "HIGH": ThreatLevel.HIGH,
        },
    )


@case_view(SECTION, child=RECORD)
def threat_detail(request, case, decision, record):
    shown = _shown_version(request, record)
    versions = list(shown.versions())
    newest = next(v for v in versions if v.is_current)
    return render(
        request,
        "investigation/threat/threat_detail.html",
        {
            "case": case,
            "record": shown,
            "measures": _mark_overdue(shown),
            "versions": versions,
            "newest": newest,
            "may_write": _may_write(request.user, case),
            "HIGH": ThreatLevel.HIGH,
        },
    )


@case_view(SECTION, write=True)
def threat_create(request, case, decision):
    return _form_page(request, case, previous=None)


@case_view(SECTION, write=True, child=RECORD)
def threat_edit(request, case, decision, record):
    if request.method != "POST" and not record.is_current:
        messages.info(request, _("Du har öppnat en äldre version. Här är den senaste."))
        return redirect("threat_edit", pk=case.pk, record_pk=common.current_version(record).pk)
    return _form_page(request, case, previous=record)


def _form_page(request, case, *, previous: ThreatAssessment | None):
    measure_errors: list[str] = []
    if request.method == "POST":
        form = forms.ThreatForm(request.POST, case=case)
        formset = forms.measure_formset(request.POST, case=case)
        form_valid = form.is_valid()
        if formset.is_valid() and form_valid:
            try:
                record = services.threat_save(
                    case=case,
                    by=request.user,
                    measures=forms.measure_rows(formset),
                    previous=previous,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                rest, measure_errors = forms.split_service_errors(exc)
                if rest is not None:
                    add_service_errors(form, rest)
            else:
                messages.success(request, _("Hotbildsbedömningen är sparad."))
                return redirect("threat_detail", pk=case.pk, record_pk=record.pk)
    elif previous is not None:
        previous = _with_details(ThreatAssessment.objects.filter(pk=previous.pk)).get()
        initial, measures = forms.initial_from(previous)
        form = forms.ThreatForm(initial=initial, case=case)
        formset = forms.measure_formset(initial=measures, case=case)
    else:
        form = forms.ThreatForm(initial={"assessed_on": timezone.localdate()}, case=case)
        formset = forms.measure_formset(case=case)
    return render(
        request,
        "investigation/threat/threat_form.html",
        {
            "case": case,
            "previous": previous,
            "form": form,
            "formset": formset,
            "measure_errors": measure_errors,
            "errors": forms.summary(form, formset, measure_errors),
        },
    )


@case_view(SECTION, log_as=log.Action.PRINT, child=RECORD)
def threat_pdf(request, case, decision, record):
    record = _with_details(ThreatAssessment.objects.filter(pk=record.pk)).get()
    context = {
        "case": case,
        "record": record,
        "measures": _mark_overdue(record),
        "today": timezone.localdate(),
        "HIGH": ThreatLevel.HIGH,
    }
    pdf = render_pdf("documents/threat.html", context, request=request)
    return pdf_response(pdf, f"hotbildsbedomning-{case.number}-v{record.version}.pdf")


urlpatterns = [
    path("<int:pk>/hotbild/", threat_list, name="threat_list"),
    path("<int:pk>/hotbild/ny/", threat_create, name="threat_create"),
    path("<int:pk>/hotbild/<int:record_pk>/", threat_detail, name="threat_detail"),
    path("<int:pk>/hotbild/<int:record_pk>/andra/", threat_edit, name="threat_edit"),
    path(
        "<int:pk>/hotbild/<int:record_pk>/hotbildsbedomning.pdf",
        threat_pdf,
        name="threat_pdf",
    ),
]
