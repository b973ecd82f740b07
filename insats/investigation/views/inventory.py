"""The needs and resource inventory (behovs- och resursinventering, bilaga 3.1).

Staff see and write everything. A partner member may read the inventory when the consent
covers any information category, but only the rows of life areas whose category the consent
covers; motivation, notes and priorities stay with the social services.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.decorators import OBJECT, access_policy
from insats.access.policy import Section
from insats.cases.models import Case
from insats.core.forms import add_service_errors
from insats.documents.pdf import pdf_response, render_pdf

from .. import services
from ..forms.inventory import InventoryForm, rating_formset
from ..models import Inventory, InventoryRating
from . import common

SECTION = Section.INVENTORY


def _inventories():
    """Inventories with everything a page shows of them, in a fixed number of queries."""
    return Inventory.objects.select_related(
        "recorded_by", "priority_1", "priority_2", "priority_3"
    ).prefetch_related(
        Prefetch("ratings", queryset=InventoryRating.objects.select_related("life_area"))
    )


def _is_staff(decision: policy.Decision) -> bool:
    return decision.full


def _shows(area, decision: policy.Decision) -> bool:
    """May the user see this life area's row? Staff always; partners by consent category."""
    if _is_staff(decision):
        return True
    return bool(area.category_code) and area.category_code in decision.categories


def _visible_ratings(inventory: Inventory, decision: policy.Decision) -> list[InventoryRating]:
    return [r for r in inventory.ratings.all() if _shows(r.life_area, decision)]


def _may_write(user, case: Case) -> bool:
    return bool(policy.decide_section(user, case, SECTION, write=True))


# --- The side-by-side overview ----------------------------------------------------------------


@dataclass
class Change:
    """The difference from the previous inventory's rating: higher is better."""

    delta: int

    @property
    def arrow(self) -> str:
        if self.delta > 0:
            return f"↑ +{self.delta}"
        if self.delta < 0:
            return f"↓ −{-self.delta}"
        return "→ 0"

    @property
    def text(self) -> str:
        if self.delta > 0:
            return _("förbättring med %(steps)s steg jämfört med förra inventeringen") % {
                "steps": self.delta
            }
        if self.delta < 0:
            return _("försämring med %(steps)s steg jämfört med förra inventeringen") % {
                "steps": -self.delta
            }
        return _("oförändrat jämfört med förra inventeringen")

    @property
    def kind(self) -> str:
        return "up" if self.delta > 0 else "down" if self.delta < 0 else "same"


def _change(now: int | None, before: int | None) -> Change | None:
    if now is None or before is None:
        return None
    return Change(now - before)


@dataclass
class Cell:
    rating: InventoryRating | None
    own_change: Change | None = None
    staff_change: Change | None = None


def _overview_rows(inventories: list[Inventory], decision, active_areas) -> list[dict]:
    """One row per life area (active ones, and any rated earlier), one cell per inventory."""
    by_inventory = [{r.life_area_id: r for r in inv.ratings.all()} for inv in inventories]
    areas = {area.pk: area for area in active_areas}
    for ratings in by_inventory:
        for rating in ratings.values():
            areas.setdefault(rating.life_area_id, rating.life_area)
    ordered = sorted(areas.values(), key=lambda a: (a.position, a.label, a.pk))
    rows = []
    for area in ordered:
        if not _shows(area, decision):
            continue
        cells, before = [], None
        for ratings in by_inventory:
            rating = ratings.get(area.pk)
            cell = Cell(rating)
            if rating is not None and before is not None:
                cell.own_change = _change(rating.own_rating, before.own_rating)
                cell.staff_change = _change(rating.staff_rating, before.staff_rating)
            cells.append(cell)
            before = rating
        rows.append({"area": area, "cells": cells})
    return rows


@access_policy(OBJECT)
def inventory_list(request, pk: int):
    case, decision = policy.get_section_or_404(request.user, pk, SECTION)
    inventories = list(
        _inventories()
        .filter(case=case, superseded_at__isnull=True)
        .order_by("assessed_on", "recorded_at", "pk")
    )
    rows = _overview_rows(inventories, decision, services.unit_life_areas(case))
    return render(
        request,
        "investigation/inventory/inventory_list.html",
        {
            "case": case,
            "inventories": inventories,
            "rows": rows,
            "is_staff": _is_staff(decision),
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


@access_policy(OBJECT)
def inventory_detail(request, pk: int, record_pk: int):
    record = common.record_or_404(Inventory, pk, record_pk)
    case, decision = policy.get_section_or_404(request.user, pk, SECTION)
    shown = _shown_version(request, record)
    inventory = _inventories().get(pk=shown.pk)
    inventory.case = case
    return render(
        request,
        "investigation/inventory/inventory_detail.html",
        {
            "case": case,
            "inventory": inventory,
            "record": inventory,
            "ratings": _visible_ratings(inventory, decision),
            "versions": inventory.versions(),
            "is_staff": _is_staff(decision),
            "may_write": inventory.is_current and _may_write(request.user, case),
        },
    )


@access_policy(OBJECT)
def inventory_pdf(request, pk: int, record_pk: int):
    record = common.record_or_404(Inventory, pk, record_pk)
    case, decision = policy.get_section_or_404(request.user, pk, SECTION, log_as=log.Action.PRINT)
    inventory = _inventories().get(pk=record.pk)
    inventory.case = case
    pdf = render_pdf(
        "documents/inventory.html",
        {
            "case": case,
            "inventory": inventory,
            "ratings": _visible_ratings(inventory, decision),
            "is_staff": _is_staff(decision),
        },
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


@access_policy(OBJECT)
def inventory_create(request, pk: int):
    case, _decision = policy.get_section_or_404(request.user, pk, SECTION, write=True)
    return _save(request, case, previous=None)


@access_policy(OBJECT)
def inventory_edit(request, pk: int, record_pk: int):
    record = common.record_or_404(Inventory, pk, record_pk)
    case, _decision = policy.get_section_or_404(request.user, pk, SECTION, write=True)
    if request.method != "POST" and not record.is_current:
        current = common.current_version(record)
        return redirect("inventory_edit", pk=case.pk, record_pk=current.pk)
    previous = _inventories().get(pk=record.pk)
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
