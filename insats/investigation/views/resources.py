"""Resource mapping (kartläggning av resurser): one versioned series per case.

Read by the unit's staff and by partners whose consent covers family and network; written by
staff.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.gate import case_view
from insats.access.policy import Section
from insats.core.forms import add_service_errors
from insats.documents.pdf import pdf_response, render_pdf
from insats.investigation import services
from insats.investigation.forms.resources import (
    NetworkPersonFormSet,
    ResourcesForm,
    people_initial,
)
from insats.investigation.models import ResourceMapping

from .criminality import (
    current_of_case,
    previous_for_save,
    requested_version,
    shown_record,
    summary_errors,
)


def _with_rows(mapping):
    """The mapping's people and organisations, each read in one query."""
    if mapping is None:
        return [], []
    return list(mapping.people.all()), list(mapping.needed_organisations.all())


@case_view(Section.RESOURCES)
def resources(request, case, decision):
    requested = requested_version(request, ResourceMapping, case)
    mapping = shown_record(ResourceMapping, case, requested)
    people, organisations = _with_rows(mapping)
    return render(
        request,
        "investigation/resources/detail.html",
        {
            "case": case,
            "record": mapping,
            "people": people,
            "organisations": organisations,
            "versions": mapping.versions() if mapping else [],
            "may_edit": policy.decide_section(request.user, case, Section.RESOURCES, write=True),
        },
    )


@case_view(Section.RESOURCES, write=True)
def resources_edit(request, case, decision):
    current = current_of_case(ResourceMapping, case.pk)
    data = request.POST if request.method == "POST" else None
    form = ResourcesForm(data, case=case, current=current)
    formset = NetworkPersonFormSet(
        data, prefix="people", initial=None if data else people_initial(current)
    )
    if data is not None and form.is_valid() & formset.is_valid():
        previous, conflict = previous_for_save(form, ResourceMapping, case)
        if conflict:
            form.add_error(None, conflict)
        else:
            try:
                services.resources_save(
                    case=case,
                    by=request.user,
                    people=formset.rows(),
                    needed_organisations=form.cleaned_data["needed_organisations"],
                    note=form.cleaned_data["note"],
                    previous=previous,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Resurskartläggningen är sparad."))
                return redirect("resources", pk=case.pk)
    return render(
        request,
        "investigation/resources/form.html",
        {
            "case": case,
            "form": form,
            "formset": formset,
            "current": current,
            "errors": summary_errors(form, formset) if data is not None else [],
        },
    )


@case_view(Section.RESOURCES, log_as=log.Action.PRINT)
def resources_pdf(request, case, decision):
    requested = requested_version(request, ResourceMapping, case)
    mapping = shown_record(ResourceMapping, case, requested)
    if mapping is None:
        raise Http404
    people, organisations = _with_rows(mapping)
    pdf = render_pdf(
        "documents/resources.html",
        {"case": case, "record": mapping, "people": people, "organisations": organisations},
        request=request,
    )
    return pdf_response(pdf, f"resurser-{case.number}-v{mapping.version}.pdf")


urlpatterns = [
    path("<int:pk>/resurser/", resources, name="resources"),
    path("<int:pk>/resurser/andra/", resources_edit, name="resources_edit"),
    path("<int:pk>/resurser/resurser.pdf", resources_pdf, name="resources_pdf"),
]
