"""De-identified statistics for supervisors, leadership and the central analyst.

Pages show counts only, never a case: the figures pass through small-cell suppression
(`presentation`) before any template sees them. Each view is logged once per unit.
"""

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language

from insats.access import log, policy
from insats.access.decorators import SIGNED_IN, access_policy
from insats.access.gate.units import statistics_units_or_404
from insats.documents.pdf import pdf_response, render_pdf

from . import prepared, presentation, statistics
from .forms import PeriodForm

# Figures over many units that the nightly job has not prepared (a custom period) take seconds
# at national scale; they are kept briefly so that moving between the page and its PDF does
# not recompute them.
MANY_UNITS_CACHE_SECONDS = 10 * 60


def _figures(unit_ids: list[int], period):
    """The figures and, when they were prepared overnight, when that was (else None)."""
    if len(unit_ids) == 1:
        return statistics.compute(unit_ids, period), None
    found = prepared.lookup(unit_ids, period)
    if found is not None:
        return found
    units = prepared.unit_key(unit_ids)
    # The shape in the key: figures cached by an earlier version meant something else.
    key = (
        f"statistics:{prepared.SHAPE}:{get_language()}:{units}:"
        f"{period.kind}:{period.start}:{period.end}"
    )
    return cache.get_or_set(
        key, lambda: statistics.compute(unit_ids, period), MANY_UNITS_CACHE_SECONDS
    ), None


def _context(request) -> dict:
    """The form and, when it is valid, the shown figures; logged once per unit."""
    form = PeriodForm(request.GET, units=statistics_units_or_404(request.user))
    context = {"form": form, "threshold": settings.STATISTICS_MIN_CELL}
    if not form.is_valid():
        return context
    threshold = settings.STATISTICS_MIN_CELL
    units = form.chosen_units
    period = form.chosen_period
    figures, prepared_at = _figures([unit.pk for unit in units], period)
    tables = presentation.show_tables(figures.tables, threshold)
    by_key = {table.key: table for table in tables}
    context.update(
        units=units,
        period=period,
        tables=tables,
        trend=presentation.show_trend(figures, threshold),
        lead_time=presentation.show_lead_time(figures, threshold),
        costs=presentation.show_costs(figures, threshold),
        consent_rate=presentation.consent_rate(by_key["consent"]) if "consent" in by_key else None,
        legend=presentation.legend_text(threshold),
        query=form.query(),
        may_export=bool(policy.export_units(request.user) & {unit.pk for unit in units}),
        created=timezone.localtime(),
        prepared_at=prepared_at,
    )
    return context


def _log(request, context, action) -> None:
    if "units" in context:
        log.record_units(
            user=request.user,
            action=action,
            object_type="statistics",
            unit_ids=[unit.pk for unit in context["units"]],
            detail=f"period={context['period'].start}..{context['period'].end}",
        )


@access_policy(SIGNED_IN)
def statistics_page(request):
    context = _context(request)
    _log(request, context, log.Action.VIEW)
    return render(request, "reporting/statistics.html", context)


@access_policy(SIGNED_IN)
def statistics_pdf(request):
    """The period report for the steering group: the same shown figures, printable."""
    context = _context(request)
    if "units" not in context:
        return render(request, "reporting/statistics.html", context)
    _log(request, context, log.Action.PRINT)
    pdf = render_pdf("reporting/report_pdf.html", context, request=request)
    period = context["period"]
    return pdf_response(pdf, f"insats-uppfoljning-{period.start}-{period.end}.pdf")
