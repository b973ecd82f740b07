"""Write use cases for the structured risk assessment: each save is a new version, logged.

The summary risk judgement is the professional's own, chosen from the instrument's summary
scale and given with written reasons. Nothing here derives it from the item ratings.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.policy import Section
from insats.cases.models import Case
from insats.core.records import save_version

from .models import RiskAssessment, RiskExtraFactor, RiskInstrument, RiskRating


def instruments_for(unit):
    """The active instruments a unit may use: the shared ones and its own."""
    unit_id = getattr(unit, "pk", unit)
    return RiskInstrument.objects.filter(
        Q(unit__isnull=True) | Q(unit_id=unit_id), active=True
    ).order_by("name", "pk")


def age_for(case: Case, on: date | None = None) -> int | None:
    """The person's age on the day of the assessment, or the age at intake if not identified."""
    if case.person is not None:
        return case.person.age(on)
    return case.age_at_intake


def age_warning(case: Case, instrument: RiskInstrument, on: date | None = None) -> str | None:
    return instrument.age_warning(age_for(case, on))


def extra_scale(instrument: RiskInstrument, items, *, protective: bool) -> list[str]:
    """The levels an extra factor may take: the scale of the instrument's items of that kind
    (risk or protective), else the summary scale."""
    for item in items:
        if item.protective == protective:
            return item.scale
    return instrument.summary_scale


def _log(by, case: Case, assessment: RiskAssessment, decision) -> None:
    log.record(
        user=by,
        action=log.Action.CREATE if assessment.version == 1 else log.Action.CHANGE,
        object_type=str(Section.RISK),
        case=case,
        object_id=assessment.pk,
        grounds=decision.grounds,
        detail=f"version={assessment.version}",
    )


@transaction.atomic
def risk_assessment_save(
    *,
    case: Case,
    by,
    instrument: RiskInstrument,
    assessed_on: date,
    summary: str,
    summary_reasons: str,
    ratings: list[dict],
    extra_factors: list[dict],
    note: str = "",
    previous: RiskAssessment | None = None,
) -> RiskAssessment:
    """Save a structured risk assessment.

    `ratings`: dicts with item (a RiskItem of the instrument), level ("" = not rated),
    critical, note. `extra_factors`: dicts with protective, description, level, critical.
    `summary` is stored exactly as chosen; it is never computed from the ratings.
    """
    decision = policy.require_section(by, case, Section.RISK)
    if previous is not None and previous.case_id != case.pk:
        raise ValidationError(_("Versionen hör till ett annat ärende."))
    errors: dict = {}
    if previous is not None and previous.instrument_id != instrument.pk:
        errors["instrument"] = _("Instrumentet kan inte bytas i en ny version av en bedömning.")
    elif instrument.unit_id not in (None, case.unit_id):
        errors["instrument"] = _("Instrumentet hör till en annan enhet.")
    elif not instrument.active and previous is None:
        errors["instrument"] = _("Instrumentet används inte längre.")
    items = list(instrument.items.all())
    by_pk = {item.pk: item for item in items}
    seen: set[int] = set()
    rating_errors = []
    for rating in ratings:
        item = rating["item"]
        if item.pk not in by_pk:
            rating_errors.append(
                _("Faktorn %(code)s hör inte till instrumentet.") % {"code": item.code}
            )
            continue
        if item.pk in seen:
            rating_errors.append(
                _("Faktorn %(code)s är skattad mer än en gång.") % {"code": item.code}
            )
        seen.add(item.pk)
        level = (rating.get("level") or "").strip()
        if level and level not in by_pk[item.pk].scale:
            rating_errors.append(
                _("%(level)s finns inte i skalan för %(code)s (%(scale)s).")
                % {"level": level, "code": item.code, "scale": ", ".join(by_pk[item.pk].scale)}
            )
    if rating_errors:
        errors["ratings"] = rating_errors
    if summary not in instrument.summary_scale:
        errors["summary"] = _("Välj en sammanfattande riskbedömning ur skalan (%(scale)s).") % {
            "scale": ", ".join(instrument.summary_scale)
        }
    if not summary_reasons.strip():
        errors["summary_reasons"] = _("Skriv skälen för den sammanfattande bedömningen.")
    if assessed_on > timezone.localdate():
        errors["assessed_on"] = _("Datumet kan inte ligga i framtiden.")
    extra_errors = []
    for factor in extra_factors:
        if not (factor.get("description") or "").strip():
            extra_errors.append(_("Beskriv varje övrig risk- eller skyddsfaktor."))
            continue
        level = (factor.get("level") or "").strip()
        scale = extra_scale(instrument, items, protective=bool(factor.get("protective")))
        if level and level not in scale:
            extra_errors.append(
                _("%(level)s finns inte i skalan för faktorn %(factor)s (%(scale)s).")
                % {
                    "level": level,
                    "factor": factor["description"].strip(),
                    "scale": ", ".join(scale),
                }
            )
    if extra_errors:
        errors["extra_factors"] = extra_errors
    if errors:
        raise ValidationError(errors)

    assessment = RiskAssessment(
        case=case,
        instrument=instrument,
        assessed_on=assessed_on,
        summary=summary,
        summary_reasons=summary_reasons.strip(),
        note=note.strip(),
    )
    save_version(assessment, by=by, previous=previous)
    RiskRating.objects.bulk_create(
        RiskRating(
            assessment=assessment,
            item=r["item"],
            level=(r.get("level") or "").strip(),
            critical=bool(r.get("critical")),
            note=(r.get("note") or "").strip(),
        )
        for r in ratings
        if (r.get("level") or "").strip() or r.get("critical") or (r.get("note") or "").strip()
    )
    RiskExtraFactor.objects.bulk_create(
        RiskExtraFactor(
            assessment=assessment,
            protective=bool(f.get("protective")),
            description=f["description"].strip(),
            level=(f.get("level") or "").strip(),
            critical=bool(f.get("critical")),
        )
        for f in extra_factors
    )
    _log(by, case, assessment, decision)
    return assessment
