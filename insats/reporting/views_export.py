"""The central analyst's export of the de-identified follow-up data set.

GET shows the choice of units, period and format, the codebook and the user's own latest
exports; the statistics page links here with its parameters in the query string. The download
itself is a POST with a CSRF token: an export is a logged disclosure, and a GET could be
fired by a link preview, a prefetch or another site's <img>, filling the log with exports
nobody asked for. Only the central analyst (policy.export_units) reaches the page; anyone
else gets 404.
"""

import secrets

from django import forms
from django.conf import settings
from django.db.models import Count, Max
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insats.access import log
from insats.access.decorators import SIGNED_IN, access_policy
from insats.access.gate.units import export_units_or_404
from insats.access.models import AccessLogEntry

from . import export
from .forms import PeriodForm

HISTORY_LENGTH = 10
# openpyxl writes about a thousand rows a second here: beyond this a download would outlast a
# worker's timeout, and CSV (a fraction of a second) is the better format anyway.
XLSX_MAX_ROWS = 20_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportFormatForm(forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("Filformat"),
        choices=[
            ("csv", gettext_lazy("CSV (semikolon som avgränsare, UTF-8)")),
            ("xlsx", gettext_lazy("Excel (XLSX) med kodbok")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Välj filformat.")},
    )


def _log_export(user, dataset: export.Dataset, fmt: str) -> None:
    """One entry per unit, so that each unit's log review sees the export. The detail names
    the parameters, never a case: the rows are de-identified, and naming their cases in the log
    would tie each pseudonym back to a case."""
    unit_ids = ",".join(str(unit.pk) for unit in dataset.units)
    detail = (
        f"export={secrets.token_hex(4)} period={export.period_slug(dataset.period)} "
        f"format={fmt} rows={len(dataset.rows)} k={dataset.k} units={unit_ids}"
    )
    log.record_units(
        user=user,
        action=log.Action.EXPORT,
        object_type=export.OBJECT_TYPE,
        unit_ids=[unit.pk for unit in dataset.units],
        detail=detail,
    )


def _download(dataset: export.Dataset, fmt: str):
    name = export.filename(dataset.period, fmt)
    if fmt == "xlsx":
        response = FileResponse(
            export.write_xlsx(dataset), as_attachment=True, filename=name, content_type=XLSX_TYPE
        )
    else:
        response = StreamingHttpResponse(
            export.csv_chunks(dataset), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _history(user, unit_names: dict[int, str]) -> list[dict]:
    """The user's latest exports from the access log (one query): an export's entries, one per
    unit, share their detail, which carries a token of its own."""
    entries = (
        AccessLogEntry.objects.filter(
            user=user, object_type=export.OBJECT_TYPE, action=log.Action.EXPORT
        )
        .values("detail")
        .annotate(at=Max("at"), entries=Count("pk"))
        .order_by("-at")[:HISTORY_LENGTH]
    )
    history = []
    for entry in entries:
        params = dict(part.split("=", 1) for part in entry["detail"].split() if "=" in part)
        ids = [int(pk) for pk in params.get("units", "").split(",") if pk.isdigit()]
        history.append(
            {
                "at": timezone.localtime(entry["at"]),
                "period": params.get("period", ""),
                "format": params.get("format", "").upper(),
                "rows": params.get("rows", ""),
                "k": params.get("k", ""),
                "units": ", ".join(unit_names.get(pk, f"#{pk}") for pk in ids),
            }
        )
    return history


@access_policy(SIGNED_IN)
def export_page(request):
    units = export_units_or_404(request.user)
    if request.method == "POST":
        form = PeriodForm(request.POST, units=units)
        format_form = ExportFormatForm(request.POST)
        if form.is_valid() and format_form.is_valid():
            fmt = format_form.cleaned_data["format"]
            rows = (
                export.count_rows(units=form.chosen_units, period=form.chosen_period)
                if fmt == "xlsx"
                else 0
            )
            if rows > XLSX_MAX_ROWS:
                # Counted before the data set is built: at national scale that takes seconds.
                format_form.add_error(
                    "format",
                    _(
                        "Underlaget har %(rows)s rader. Välj CSV för så stora uttag "
                        "(XLSX går till högst %(max)s rader)."
                    )
                    % {"rows": rows, "max": XLSX_MAX_ROWS},
                )
                return _page(request, units, form, format_form)
            try:
                dataset = export.build(
                    units=form.chosen_units, period=form.chosen_period, recipient=request.user
                )
            except export.TooFewCases as refusal:
                form.add_error(None, refusal.message)
            else:
                _log_export(request.user, dataset, fmt)
                return _download(dataset, fmt)
    else:
        form = PeriodForm(request.GET, units=units)
        format_form = ExportFormatForm(initial={"format": request.GET.get("format", "csv")})
    return _page(request, units, form, format_form)


def _page(request, units, form, format_form):
    names = {unit.pk: unit.name for unit in units}
    return render(
        request,
        "reporting/export.html",
        {
            "form": form,
            "format_form": format_form,
            "codebook": export.codebook(list(names)),
            "history": _history(request.user, names),
            "k": settings.STATISTICS_MIN_CELL,
        },
    )
