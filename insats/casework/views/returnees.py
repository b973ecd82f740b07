"""Återvändare: the unit's register of young people placed in a SiS home or with
Kriminalvården, with the day they come home and whether their plan is ready by then.

For the unit's social-services staff only: the pages receive the user's units, or the entry,
from the gate (insats.access.gate.casework); everyone else gets a 404. Every list view is
logged, by case for the linked entries and by unit for the whole register, since the names of
people without a case are personal data too.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.gate.casework import register_view, returnee_view
from insats.core.forms import add_service_errors
from insats.core.units import chosen_unit

from .. import services_returnees as services
from ..forms_returnees import ReturneeForm, initial_from
from ..models import Returnee


@register_view
def returnees(request, units):
    kind = request.GET.get("typ", "")
    if kind not in Returnee.Kind.values:
        kind = ""
    show_returned = request.GET.get("hemkomna") == "1"
    entries = Returnee.objects.filter(unit__in=units).select_related(
        "unit", "case__plan", "recorded_by"
    )
    if kind:
        entries = entries.filter(kind=kind)
    if not show_returned:
        entries = entries.filter(returned_on__isnull=True)
    entries = list(entries)
    rows = services.register_rows(entries, timezone.localdate())
    detail = f"kind={kind or 'all'} returned={int(show_returned)}"
    policy.log_listing(request.user, "returnees", [e.case for e in entries if e.case is not None])
    for unit in units:
        ids = [str(e.pk) for e in entries if e.unit_id == unit.pk]
        log.record(
            user=request.user,
            action=log.Action.SEARCH,
            object_type="returnee_list",
            unit_id=unit.pk,
            detail=f"{detail} entries={','.join(ids)}",
        )
    return render(
        request,
        "casework/returnee_list.html",
        {
            "rows": rows,
            "units": units,
            "kind": kind,
            "kinds": Returnee.Kind.choices,
            "show_returned": show_returned,
            "warn_days": services.WARN_DAYS,
        },
    )


@register_view
def returnee_create(request, units):
    unit = chosen_unit(request, units)
    return _form_page(request, units, unit, returnee=None)


@returnee_view
def returnee_edit(request, returnee, decision, units):
    return _form_page(request, units, returnee.unit, returnee=returnee)


def _form_page(request, units, unit, *, returnee: Returnee | None):
    if request.method == "POST":
        form = ReturneeForm(request.POST, user=request.user, unit=unit)
        if form.is_valid():
            try:
                saved = services.returnee_save(
                    unit=unit, by=request.user, returnee=returnee, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Uppgifterna i registret är sparade."))
                warning = services.age_warning(saved.kind, saved.age)
                if warning:
                    messages.warning(request, warning)
                return redirect("returnees")
    elif returnee is not None:
        form = ReturneeForm(initial=initial_from(returnee), user=request.user, unit=unit)
    else:
        form = ReturneeForm(user=request.user, unit=unit)
    if form.is_bound:
        data = getattr(form, "cleaned_data", {})
    elif returnee is not None:
        data = {"kind": returnee.kind, "age": returnee.age}
    else:
        data = {}
    return render(
        request,
        "casework/returnee_form.html",
        {
            "form": form,
            "returnee": returnee,
            "unit": unit,
            "other_units": [u for u in units if u.pk != unit.pk] if returnee is None else [],
            "create_url": reverse("returnee_create"),
            "age_warning": services.age_warning(data.get("kind"), data.get("age")),
        },
    )


case_urlpatterns = []
urlpatterns = [
    path("atervandare/", returnees, name="returnees"),
    path("atervandare/ny/", returnee_create, name="returnee_create"),
    path("atervandare/<int:pk>/andra/", returnee_edit, name="returnee_edit"),
]
