"""Collaboration deviations: report, list, detail, step-by-step handling and the overview.

One deviation comes from the gate (insats/access/gate/meetings.deviation_view: its reporter
while in the unit, or the unit's staff; handling by the staff only), with its linked case only
when the user may see that case. Lists start from policy.deviations_visible_to.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.decorators import SIGNED_IN, access_policy
from insats.access.gate.meetings import deviation_view, reporting_units_or_404
from insats.access.gate.units import staff_units_or_404
from insats.core.forms import add_service_errors
from insats.organisations.models import Unit

from .. import services_deviations as services
from ..forms_deviations import (
    DeviationFilterForm,
    DeviationForm,
    DeviationStepForm,
    OverviewForm,
)
from ..models import Deviation

Status = Deviation.Status


@access_policy(SIGNED_IN)
def deviations(request):
    """Staff see all of their units' deviations; a partner only their own reports."""
    units = reporting_units_or_404(request.user)
    form = DeviationFilterForm(request.GET or None, units=units)
    filters = form.cleaned_data if form.is_valid() else {}
    found = services.deviations_visible_to(request.user).select_related(*services.LIST_RELATED)
    if filters.get("status"):
        found = found.filter(status=filters["status"])
    if filters.get("organisation"):
        found = found.filter(organisation=filters["organisation"])
    if filters.get("fran"):
        found = found.filter(occurred_on__gte=filters["fran"])
    if filters.get("till"):
        found = found.filter(occurred_on__lte=filters["till"])
    page = Paginator(found, settings.INSATS_PAGE_SIZE).get_page(request.GET.get("sida"))
    lines = services.list_rows(request.user, page.object_list)
    services.log_listing(request.user, lines, detail=_query_detail(filters))
    query = request.GET.copy()
    query.pop("sida", None)
    return render(
        request,
        "meetings/deviation_list.html",
        {
            "form": form,
            "page": page,
            "rows": [line.deviation for line in lines],
            "lines": lines,  # what the table shows: a case only where the reader may see it
            "query": query.urlencode(),
            "is_staff": bool(services.handling_units(request.user)),
        },
    )


def _query_detail(filters: dict) -> str:
    return " ".join(
        f"{key}={getattr(value, 'pk', value)}" for key, value in filters.items() if value
    )


@access_policy(SIGNED_IN)
def deviation_create(request):
    """Any member of a unit reports a deviation in the collaboration."""
    unit_ids = reporting_units_or_404(request.user)
    units = Unit.objects.filter(pk__in=unit_ids)
    cases = policy.cases_visible_to(request.user).filter(unit_id__in=unit_ids)
    form = DeviationForm(request.POST or None, units=units, cases=cases)
    if request.method == "POST" and form.is_valid():
        try:
            deviation = services.deviation_report(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Avvikelsen är rapporterad."))
            return redirect("deviation_detail", deviation_pk=deviation.pk)
    return render(request, "meetings/deviation_form.html", {"form": form})


@deviation_view()
def deviation_detail(request, deviation, decision, linked_case):
    return render(
        request,
        "meetings/deviation_detail.html",
        {
            "deviation": deviation,
            "linked_case": linked_case,
            "may_handle": services.may_handle(request.user, deviation)
            and deviation.status != Status.CLOSED,
            "steps": _steps(deviation),
        },
    )


def _steps(deviation: Deviation) -> list[tuple[str, str, bool]]:
    """The handling steps with their labels and whether each is done."""
    order = list(Status)
    reached = order.index(Status(deviation.status))
    return [(status.value, status.label, order.index(status) <= reached) for status in order]


@deviation_view(handle=True)
def deviation_handle(request, deviation, decision, linked_case):
    """The unit's staff move the deviation one step on; no step can be skipped."""
    if deviation.status == Status.CLOSED:
        messages.info(request, _("Avvikelsen är avslutad och kan inte hanteras vidare."))
        return redirect("deviation_detail", deviation_pk=deviation.pk)
    step = services.NEXT_STATUS[Status(deviation.status)]
    posted = request.POST.get("to_status")
    if request.method == "POST" and posted in services.STEP_FIELD:
        step = Status(posted)
    form = DeviationStepForm(request.POST or None, step=step)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.deviation_advance(
                deviation=deviation,
                by=request.user,
                to_status=data["to_status"],
                **{services.STEP_FIELD[step]: data[services.STEP_FIELD[step]]},
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Avvikelsen har flyttats till steget ”%(status)s”.")
                % {"status": deviation.get_status_display()},
            )
            return redirect("deviation_detail", deviation_pk=deviation.pk)
    return render(
        request,
        "meetings/deviation_handle.html",
        {
            "deviation": deviation,
            "linked_case": linked_case,
            "form": form,
            "step": step,
            "steps": _steps(deviation),
        },
    )


@access_policy(SIGNED_IN)
def deviation_overview(request):
    """Counts per organisation and status for a tertial, half-year or year; staff only."""
    units = staff_units_or_404(request.user)
    form = OverviewForm(request.GET, units=units)
    rows = start = end = None
    if form.is_valid():
        unit = form.cleaned_data["unit"]
        start, end = services.period_bounds(form.cleaned_data["year"], form.cleaned_data["period"])
        rows = services.overview(unit, start, end)
        log.record(
            user=request.user,
            action=log.Action.VIEW,
            object_type="deviation_overview",
            unit_id=unit.pk,
            detail=f"{start:%Y-%m-%d}..{end:%Y-%m-%d}",
        )
    return render(
        request,
        "meetings/deviation_overview.html",
        {
            "form": form,
            "rows": rows,
            "start": start,
            "end": end,
            "statuses": list(Status),
        },
    )


urlpatterns = [
    path("avvikelser/", deviations, name="deviations"),
    path("avvikelser/ny/", deviation_create, name="deviation_create"),
    path("avvikelser/oversikt/", deviation_overview, name="deviation_overview"),
    path("avvikelser/<int:deviation_pk>/", deviation_detail, name="deviation_detail"),
    path("avvikelser/<int:deviation_pk>/hantera/", deviation_handle, name="deviation_handle"),
]
