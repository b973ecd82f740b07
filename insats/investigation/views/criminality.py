"""Criminality profile (kriminalitet): one versioned series per case.

Read by the unit's staff and by partners whose consent covers criminality; written by staff.
"""

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
from insats.core.records import conflict_message
from insats.core.templatetags.insats import error_summary
from insats.documents.pdf import pdf_response, render_pdf
from insats.investigation import services
from insats.investigation.forms.criminality import (
    CriminalityForm,
    CriminalityItemFormSet,
    item_initial,
)
from insats.investigation.models import CriminalityProfile


def current_of_case(model, case_id: int):
    """The case's current record of a one-series-per-case section, or None."""
    return (
        model.objects.filter(case_id=case_id, superseded_at__isnull=True)
        .select_related("recorded_by")
        .order_by("-recorded_at", "-pk")
        .first()
    )


def requested_version(request, model, case):
    """The record named by `?version=`, if it belongs to the case the gate gave (else 404)."""
    version = request.GET.get("version")
    if not version:
        return None
    return Child("version", model, "version", related=("recorded_by",)).fetch(version, case.pk)


def shown_record(model, case, requested):
    """The record a section page shows: the requested version of the case's series, else the
    current one. A version of another series is not found."""
    current = current_of_case(model, case.pk)
    if requested is None:
        return current
    if current is None or requested.series != current.series:
        raise Http404
    return requested


def previous_for_save(form, model, case) -> tuple[object | None, str]:
    """The version the submitted form was based on, and a conflict message if someone has
    started the series since the form was opened (there is then nothing to base it on)."""
    based_on = form.cleaned_data.get("based_on")
    if based_on:
        previous = model.objects.filter(pk=based_on, case_id=case.pk).first()
        if previous is None:
            raise Http404
        return previous, ""
    newest = current_of_case(model, case.pk)
    if newest is None:
        return None, ""
    message = conflict_message(newest)
    return None, message


def summary_errors(form, formset) -> list:
    """Every error of the form and its rows, for the page's error summary."""
    errors = error_summary(form, *formset.forms)["errors"]
    return errors + [(None, None, error) for error in formset.non_form_errors()]


def _items(profile):
    if profile is None:
        return []
    return list(profile.items.select_related("crime_type"))


@case_view(Section.CRIMINALITY)
def criminality(request, case, decision):
    requested = requested_version(request, CriminalityProfile, case)
    profile = shown_record(CriminalityProfile, case, requested)
    may_edit = policy.decide_section(request.user, case, Section.CRIMINALITY, write=True)
    return render(
        request,
        "investigation/criminality/detail.html",
        {
            "case": case,
            "record": profile,
            "items": _items(profile),
            "versions": profile.versions() if profile else [],
            "may_edit": may_edit,
        },
    )


@case_view(Section.CRIMINALITY, write=True)
def criminality_edit(request, case, decision):
    current = current_of_case(CriminalityProfile, case.pk)
    kinds = list(services.crime_types(case))
    data = request.POST if request.method == "POST" else None
    if current is not None:
        # Keep a type the current version uses selectable even if the unit retired it.
        known = {ct.pk for ct in kinds}
        kinds += [i.crime_type for i in _items(current) if i.crime_type_id not in known]
    form = CriminalityForm(data, current=current)
    formset = CriminalityItemFormSet(
        data,
        prefix="items",
        initial=None if data else item_initial(current),
        form_kwargs={"crime_types": kinds},
    )
    if data is not None and form.is_valid() & formset.is_valid():
        previous, conflict = previous_for_save(form, CriminalityProfile, case)
        if conflict:
            form.add_error(None, conflict)
        else:
            values = {k: v for k, v in form.cleaned_data.items() if k != "based_on"}
            try:
                services.criminality_save(
                    case=case,
                    by=request.user,
                    items=formset.rows(),
                    previous=previous,
                    **values,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Kriminalitetsprofilen är sparad."))
                return redirect("criminality", pk=case.pk)
    return render(
        request,
        "investigation/criminality/form.html",
        {
            "case": case,
            "form": form,
            "formset": formset,
            "current": current,
            "errors": summary_errors(form, formset) if data is not None else [],
        },
    )


@case_view(Section.CRIMINALITY, log_as=log.Action.PRINT)
def criminality_pdf(request, case, decision):
    requested = requested_version(request, CriminalityProfile, case)
    profile = shown_record(CriminalityProfile, case, requested)
    if profile is None:
        raise Http404
    pdf = render_pdf(
        "documents/criminality.html",
        {"case": case, "record": profile, "items": _items(profile)},
        request=request,
    )
    return pdf_response(pdf, f"kriminalitet-{case.number}-v{profile.version}.pdf")


urlpatterns = [
    path("<int:pk>/kriminalitet/", criminality, name="criminality"),
    path("<int:pk>/kriminalitet/andra/", criminality_edit, name="criminality_edit"),
    path("<int:pk>/kriminalitet/kriminalitet.pdf", criminality_pdf, name="criminality_pdf"),
]
