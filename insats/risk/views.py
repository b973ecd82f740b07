"""Structured risk assessment pages of a case: the assessments side by side, the form, one
assessment (with its versions) and its PDF. Social-services staff only (Section.RISK)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.gate import Child, case_view
from insats.access.policy import Section
from insats.core.forms import add_service_errors
from insats.core.records import current
from insats.documents.pdf import pdf_response, render_pdf
from insats.investigation.views.common import current_version

from . import services
from .forms import PROTECTIVE, RISK, ExtraFactorFormSet, RatingFormSet, RiskAssessmentForm
from .models import RiskAssessment, RiskItem

SECTION = Section.RISK
# Looked up within the case before the case is fetched: a wrong id is a plain 404, unlogged.
RECORD = Child("record", RiskAssessment, "record_pk", related=("recorded_by", "instrument"))


def _may_write(user, case) -> bool:
    return bool(policy.decide_section(user, case, SECTION, write=True))


def _by_domain(rows, key=lambda row: row[0]) -> list[tuple[str, list]]:
    """Consecutive rows grouped by their item's domain, in the instrument's order."""
    groups: list[tuple[str, list]] = []
    for row in rows:
        domain = key(row).domain
        if not groups or groups[-1][0] != domain:
            groups.append((domain, []))
        groups[-1][1].append(row)
    return groups


def _earlier(case, instrument, record=None) -> RiskAssessment | None:
    """The case's latest other assessment with the same instrument (before `record`, if given)."""
    earlier = (
        RiskAssessment.objects.filter(case=case, instrument=instrument, superseded_at__isnull=True)
        .prefetch_related("ratings")
        .order_by("-assessed_on", "-recorded_at", "-pk")
    )
    if record is not None:
        earlier = earlier.exclude(series=record.series).filter(assessed_on__lte=record.assessed_on)
    return earlier.first()


def _levels_of(assessment: RiskAssessment | None) -> dict:
    return {r.item_id: r for r in assessment.ratings.all()} if assessment else {}


# --- All assessments side by side -----------------------------------------------------------


@case_view(SECTION)
def risk_list(request, case, decision):
    assessments = list(
        current(RiskAssessment, case)
        .select_related("instrument")
        .prefetch_related("ratings", "extra_factors")
        .order_by("assessed_on", "recorded_at", "pk")
    )
    instruments = {}
    for assessment in assessments:
        instruments.setdefault(assessment.instrument_id, assessment.instrument)
    items: dict[int, list[RiskItem]] = {pk: [] for pk in instruments}
    for item in RiskItem.objects.filter(instrument_id__in=instruments).order_by("position", "pk"):
        items[item.instrument_id].append(item)
    tables = []
    for instrument_pk, instrument in instruments.items():
        columns = [a for a in assessments if a.instrument_id == instrument_pk]
        levels = [_levels_of(a) for a in columns]
        rows = [
            (item, [by_item.get(item.pk) for by_item in levels]) for item in items[instrument_pk]
        ]
        tables.append(
            {
                "instrument": instrument,
                "assessments": columns,
                "domains": _by_domain(rows),
                "has_extra": any(a.extra_factors.all() for a in columns),
            }
        )
    return render(
        request,
        "risk/risk_list.html",
        {
            "case": case,
            "tables": tables,
            "may_write": _may_write(request.user, case),
        },
    )


# --- Create and edit ------------------------------------------------------------------------


@case_view(SECTION, write=True)
def risk_create(request, case, decision):
    instruments = list(services.instruments_for(case.unit_id))
    chosen = request.GET.get("instrument")
    if chosen:
        instrument = next((i for i in instruments if str(i.pk) == chosen), None)
    else:
        instrument = instruments[0] if len(instruments) == 1 else None
    if instrument is None:
        if chosen:
            raise Http404
        return render(request, "risk/risk_choose.html", {"case": case, "instruments": instruments})
    return _form_page(request, case, instrument)


@case_view(SECTION, write=True, child=RECORD)
def risk_edit(request, case, decision, record):
    if request.method != "POST" and not record.is_current:
        return redirect("risk_edit", pk=case.pk, record_pk=current_version(record).pk)
    return _form_page(request, case, record.instrument, record=record)


def _initial(record: RiskAssessment | None, items) -> tuple[dict, list[dict], list[dict]]:
    if record is None:
        return {"assessed_on": timezone.localdate()}, [{} for _item in items], []
    ratings = _levels_of(record)
    rating_initial = []
    for item in items:
        rating = ratings.get(item.pk)
        rating_initial.append(
            {"level": rating.level, "critical": rating.critical, "note": rating.note}
            if rating
            else {}
        )
    extra_initial = [
        {
            "kind": PROTECTIVE if f.protective else RISK,
            "description": f.description,
            "level": f.level,
            "critical": f.critical,
        }
        for f in record.extra_factors.all()
    ]
    main = {
        "assessed_on": record.assessed_on,
        "summary": record.summary,
        "summary_reasons": record.summary_reasons,
        "note": record.note,
    }
    return main, rating_initial, extra_initial


def _form_page(request, case, instrument, record: RiskAssessment | None = None):
    items = list(instrument.items.all())
    main_initial, rating_initial, extra_initial = _initial(record, items)
    data = request.POST if request.method == "POST" else None
    form = RiskAssessmentForm(data, instrument=instrument, initial=main_initial)
    ratings = RatingFormSet(data, items=items, initial=rating_initial, prefix="rating")
    extras = ExtraFactorFormSet(
        data,
        initial=extra_initial,
        prefix="extra",
        form_kwargs={
            "risk_levels": services.extra_scale(instrument, items, protective=False),
            "protective_levels": services.extra_scale(instrument, items, protective=True),
        },
    )
    if data is not None:
        valid = [form.is_valid(), ratings.is_valid(), extras.is_valid()]
        if all(valid):
            try:
                saved = services.risk_assessment_save(
                    case=case,
                    by=request.user,
                    instrument=instrument,
                    ratings=ratings.rows(),
                    extra_factors=extras.rows(),
                    previous=record,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Riskbedömningen är sparad."))
                return redirect("risk_detail", pk=case.pk, record_pk=saved.pk)
        else:
            _summarise_row_errors(form, ratings, extras)
    assessed_on = getattr(form, "cleaned_data", {}).get("assessed_on") or main_initial.get(
        "assessed_on"
    )
    earlier = _earlier(case, instrument, record)
    earlier_levels = _levels_of(earlier)
    rows = [(f, earlier_levels.get(f.item.pk)) for f in ratings.forms]
    return render(
        request,
        "risk/risk_form.html",
        {
            "case": case,
            "instrument": instrument,
            "record": record,
            "form": form,
            "ratings": ratings,
            "domains": _by_domain(rows, key=lambda row: row[0].item),
            "extras": extras,
            "earlier": earlier,
            "age_warning": services.age_warning(case, instrument, assessed_on),
        },
    )


def _summarise_row_errors(form, ratings, extras) -> None:
    """Errors of the rating and extra-factor rows, repeated in the summary at the top."""
    for error in [*ratings.non_form_errors(), *extras.non_form_errors()]:
        form.add_error(None, error)
    for row in ratings.forms:
        for errors in row.errors.values():
            for error in errors:
                form.add_error(None, f"{row.item.code}: {error}")
    for number, row in enumerate(extras.forms, 1):
        for errors in row.errors.values():
            for error in errors:
                form.add_error(
                    None,
                    _("Övrig faktor %(number)s: %(error)s") % {"number": number, "error": error},
                )


# --- One assessment -------------------------------------------------------------------------


def _shown_version(request, record: RiskAssessment) -> RiskAssessment:
    """`?version=<pk>`: an earlier (or later) version of the same series."""
    version = request.GET.get("version")
    if not version:
        return record
    try:
        version_pk = int(version)
    except ValueError:
        raise Http404 from None
    shown = (
        RiskAssessment.objects.select_related("recorded_by")
        .filter(pk=version_pk, series=record.series)
        .first()
    )
    if shown is None:
        raise Http404
    return shown


def _detail_context(case, record: RiskAssessment) -> dict:
    instrument = record.instrument
    items = list(instrument.items.all())
    levels = _levels_of(record)
    earlier = _earlier(case, instrument, record)
    earlier_levels = _levels_of(earlier)
    rows = [(item, levels.get(item.pk), earlier_levels.get(item.pk)) for item in items]
    return {
        "case": case,
        "record": record,
        "instrument": instrument,
        "domains": _by_domain(rows),
        "extra_factors": list(record.extra_factors.all()),
        "earlier": earlier,
        "age_warning": services.age_warning(case, instrument, record.assessed_on),
    }


@case_view(SECTION, child=RECORD)
def risk_detail(request, case, decision, record):
    shown = _shown_version(request, record)
    shown.case = case
    context = _detail_context(case, shown)
    context.update(
        versions=list(shown.versions()),
        current=current_version(shown),
        may_write=_may_write(request.user, case),
    )
    return render(request, "risk/risk_detail.html", context)


@case_view(SECTION, log_as=log.Action.PRINT, child=RECORD)
def risk_pdf(request, case, decision, record):
    context = _detail_context(case, record)
    context["printed_at"] = timezone.localtime()
    pdf = render_pdf("documents/risk.html", context, request=request)
    return pdf_response(pdf, f"riskbedomning-{case.number}-v{record.version}.pdf")
