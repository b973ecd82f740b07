"""The needs and resource inventory (behovs- och resursinventering, bilaga 3.1).

Staff see and write everything. A partner member may read the inventory when the consent
covers any information category, but only the rows of life areas whose category the consent
covers; motivation, notes and priorities stay with the social services. The pages and the PDF
render only what investigation.selectors has cut to the decision.
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
from insats.cases.models import Case
from insats.core.forms import add_service_errors
from insats.documents.pdf import pdf_response, render_pdf

from .. import selectors, services
from ..forms.inventory import InventoryForm, rating_formset
from ..models import Inventory
from . import common

SECTION = Section.INVENTORY
RECORD = Child("record", Inventory, "record_pk", related=("recorded_by",))


def _may_write(user, case: Case) -> bool:
    return bool(policy.decide_section(user, case, SECTION, write=True))


@case_view(SECTION)
def inventory_list(request, case, decision):
    overview = selectors.overview(case, decision)
    return render(
        request,
        "investigation/inventory/inventory_list.html",
        {
            "case": case,
            "overview": overview,
            "inventories": overview.inventories,
            "rows": overview.rows,
            "may_write": _may_write(request.user, case),
        },
    )


# --- One inventory --------------------------------------------------------------------------


def _shown_version(request, record: Inventory) -> Inventory:
    """The version asked for with ?version= (of the same series), else the record itself."""
    wanted = request.GET.get("version")
    if not wanted:
        return record
    try:
        wanted = int(wanted)
    except ValueError:
        raise Http404 from None
    if wanted == record.pk:
        return record
    other = Inventory.objects.filter(pk=wanted, series=record.series).first()
    if other is None:
        raise Http404
    return other


@case_view(SECTION, child=RECORD)
def inventory_detail(request, case, decision, record):
    shown = _shown_version(request, record)
    inventory = selectors.inventory_for(case, shown.pk, decision)
    return render(
        request,
        "investigation/inventory/inventory_detail.html",
        {
            "case": case,
            "inventory": inventory,
            "record": inventory,
            "versions": shown.versions(),
            "may_write": inventory.is_current and _may_write(request.user, case),
        },
    )


@case_view(SECTION, log_as=log.Action.PRINT, child=RECORD)
def inventory_pdf(request, case, decision, record):
    inventory = selectors.inventory_for(case, record.pk, decision)
    pdf = render_pdf(
        "documents/inventory.html",
        {"case": case, "inventory": inventory},
        request=request,
    )
    return pdf_response(pdf, f"inventering-{case.number}-v{inventory.version}.pdf")


# --- Writing ----------------------------------------------------------------------------------


def _save(request, case: Case, previous: Inventory | None):
    """Show the form (pre-filled from `previous`), or save a new version of it."""
    areas = list(services.unit_life_areas(case))
    data = request.POST if request.method == "POST" else None
    if previous is not None:
        stored = list(previous.ratings.all())
        form = InventoryForm(data, areas=areas, initial=InventoryForm.initial_from(previous))
    else:
        stored = []
        form = InventoryForm(data, areas=areas)
    formset = rating_formset(data, areas=areas, ratings=stored)
    if data is not None:
        form_ok = form.is_valid()
        rows_ok = formset.is_valid()
        if not rows_ok:
            for error in formset.non_form_errors():
                form.add_error(None, error)
            for row in formset.forms:
                if row.errors:
                    form.add_error(
                        None,
                        _("Kontrollera uppgifterna för %(area)s.") % {"area": row.area},
                    )
        if form_ok and rows_ok:
            try:
                inventory = services.inventory_save(
                    case=case,
                    by=request.user,
                    assessed_on=form.cleaned_data["assessed_on"],
                    ratings=formset.ratings(),
                    motivation=form.cleaned_data["motivation"],
                    motivation_note=form.cleaned_data["motivation_note"],
                    priorities=form.priorities(),
                    completed=form.cleaned_data["completed"],
                    previous=previous,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                if previous is None:
                    messages.success(request, _("Inventeringen är sparad."))
                else:
                    messages.success(
                        request,
                        _("Inventeringen är sparad som version %(version)s.")
                        % {"version": inventory.version},
                    )
                return redirect("inventory_detail", pk=case.pk, record_pk=inventory.pk)
    return render(
        request,
        "investigation/inventory/inventory_form.html",
        {
            "case": case,
            "form": form,
            "formset": formset,
            "previous": previous,
        },
    )


def _add_errors(form: InventoryForm, exc: ValidationError) -> None:
    """The service's errors on the form; "priorities" belongs to the first priority field."""
    if hasattr(exc, "error_dict") and "priorities" in exc.error_dict:
        errors = dict(exc.error_dict)
        errors["priority_1"] = errors.pop("priorities")
        exc = ValidationError(errors)
    add_service_errors(form, exc)


@case_view(SECTION, write=True)
def inventory_create(request, case, decision):
    return _save(request, case, previous=None)


@case_view(SECTION, write=True, child=RECORD)
def inventory_edit(request, case, decision, record):
    if request.method != "POST" and not record.is_current:
        current = common.current_version(record)
        return redirect("inventory_edit", pk=case.pk, record_pk=current.pk)
    previous = selectors.inventories().get(pk=record.pk)
    previous.case = case
    return _save(request, case, previous=previous)


urlpatterns = [
    path("<int:pk>/inventering/", inventory_list, name="inventory_list"),
    path("<int:pk>/inventering/ny/", inventory_create, name="inventory_create"),
    path("<int:pk>/inventering/<int:record_pk>/", inventory_detail, name="inventory_detail"),
    path("<int:pk>/inventering/<int:record_pk>/andra/", inventory_edit, name="inventory_edit"),
    path(
        "<int:pk>/inventering/<int:record_pk>/inventering.pdf",
        inventory_pdf,
        name="inventory_pdf",
    ),
]
