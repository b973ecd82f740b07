"""Write use cases for decisions and the follow-up assessment.

A decision is recorded together with the lifecycle move it causes, in one transaction: the
move's own rules (delegation, separation of duties, enrolment conditions) decide whether
either is saved.
"""

import calendar
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.policy import Section
from insats.cases.lifecycle import State, find_transition
from insats.cases.models import Case
from insats.cases.services import case_transition
from insats.core.records import save_version
from insats.investigation.services import unit_life_areas
from insats.organisations.models import LegalReference

from .models import CaseDecision, FollowUpAssessment, FollowUpRating

REVIEW_MONTHS = 6
ENROLLED_STATES = frozenset({State.ASSIGNMENT, State.IMPLEMENTATION, State.FOLLOW_UP})


def default_review_on(decided_on: date) -> date:
    """Support is re-examined at least every six months (SPEC §3 step 3).

    Same day six months on; the month's last day when that day does not exist (31 Aug → 28/29 Feb).
    """
    month = decided_on.month - 1 + REVIEW_MONTHS
    year, month = decided_on.year + month // 12, month % 12 + 1
    return decided_on.replace(
        year=year, month=month, day=min(decided_on.day, calendar.monthrange(year, month)[1])
    )


def _check_common(decided_on: date, reasons: str, errors: dict) -> None:
    if decided_on > timezone.localdate():
        errors["decided_on"] = _("Beslutsdatumet kan inte ligga i framtiden.")
    if not reasons.strip():
        errors["reasons"] = _("Skriv en motivering.")


def _record(case: Case, by, **fields) -> CaseDecision:
    decision = CaseDecision.objects.create(case=case, decided_by=by, **fields)
    log.record(
        user=by,
        action=log.Action.CREATE,
        object_type="decision",
        case=case,
        object_id=decision.pk,
        grounds=policy.decide_case(by, policy.Action.VIEW_CASE, case).grounds,
        detail=f"{decision.kind} outcome={decision.outcome}",
    )
    return decision


@transaction.atomic
def decide_continued_investigation(
    *, case: Case, by, outcome: bool, reasons: str, decided_on: date
) -> CaseDecision:
    """Bedömning om fortsatt utredning. "No" ends the case (declined) with the reasons."""
    case.refresh_from_db(fields=["state"])
    transition = find_transition(State.INVESTIGATION, State.DECLINED)
    allowed = policy.decide_transition(by, case, transition)
    if case.state != State.INVESTIGATION:
        raise ValidationError(_("Ärendet är inte under utredning."))
    if not allowed:
        raise ValidationError(allowed.reason or _("Du får inte fatta beslutet."))
    errors: dict = {}
    _check_common(decided_on, reasons, errors)
    if errors:
        raise ValidationError(errors)
    decision = _record(
        case,
        by,
        kind=CaseDecision.Kind.CONTINUE_INVESTIGATION,
        outcome=outcome,
        decided_on=decided_on,
        reasons=reasons.strip(),
    )
    if not outcome:
        case_transition(case=case, to_state=State.DECLINED, by=by, reason=reasons)
    return decision


@transaction.atomic
def decide_enrolment(
    *,
    case: Case,
    by,
    outcome: bool,
    decided_on: date,
    reasons: str,
    risk_of_reoffending: str = "",
    motivation: str = "",
    needs: str = "",
    resources: str = "",
    criminality: str = "",
    legal_reference: LegalReference | None = None,
    review_on: date | None = None,
) -> CaseDecision:
    """Enrol (grant support) or decline. Enrolment is refused, naming every missing condition,
    unless the investigation is complete (see enrolment.py)."""
    case.refresh_from_db(fields=["state"])
    if case.state != State.DECISION:
        raise ValidationError(_("Ärendet är inte lämnat för beslut."))
    target = State.ASSIGNMENT if outcome else State.DECLINED
    errors: dict = {}
    _check_common(decided_on, reasons, errors)
    fields = {}
    if outcome:
        grounds = {
            "risk_of_reoffending": risk_of_reoffending,
            "motivation": motivation,
            "needs": needs,
            "resources": resources,
            "criminality": criminality,
        }
        for name, text in grounds.items():
            if not text.strip():
                errors[name] = _("Beskriv bedömningen av detta underlag.")
        if legal_reference is None:
            errors["legal_reference"] = _("Välj lagrum för det beviljade biståndet.")
        elif (
            legal_reference.unit_id != case.unit_id
            or legal_reference.kind != LegalReference.Kind.SUPPORT
            or not legal_reference.active
        ):
            errors["legal_reference"] = _("Lagrummet finns inte i enhetens lista.")
        review_on = review_on or default_review_on(decided_on)
        if review_on <= decided_on:
            errors["review_on"] = _("Omprövningen ska ligga efter beslutsdatumet.")
        elif review_on > default_review_on(decided_on):
            errors["review_on"] = _("Biståndet ska omprövas inom sex månader.")
        fields = {k: v.strip() for k, v in grounds.items()} | {
            "legal_reference": legal_reference,
            "review_on": review_on,
        }
    if errors:
        raise ValidationError(errors)
    decision = _record(
        case,
        by,
        kind=CaseDecision.Kind.ENROL if outcome else CaseDecision.Kind.DECLINE,
        outcome=outcome,
        decided_on=decided_on,
        reasons=reasons.strip(),
        **fields,
    )
    # The move checks delegation, separation of duties and the enrolment conditions.
    case_transition(case=case, to_state=target, by=by, reason=reasons)
    return decision


@transaction.atomic
def reexamine_support(
    *, case: Case, by, decided_on: date, reasons: str, review_on: date | None = None
) -> CaseDecision:
    """Omprövning: support continues, with the next re-examination date."""
    case.refresh_from_db(fields=["state"])
    if case.state not in ENROLLED_STATES:
        raise ValidationError(_("Bistånd omprövas bara i pågående insatser."))
    enrol = find_transition(State.DECISION, State.ASSIGNMENT)
    allowed = policy.decide_transition(by, case, enrol)
    if not allowed:
        raise ValidationError(allowed.reason or _("Du får inte fatta beslutet."))
    errors: dict = {}
    _check_common(decided_on, reasons, errors)
    review_on = review_on or default_review_on(decided_on)
    if not decided_on < review_on <= default_review_on(decided_on):
        errors["review_on"] = _("Nästa omprövning ska ligga inom sex månader efter beslutet.")
    if errors:
        raise ValidationError(errors)
    return _record(
        case,
        by,
        kind=CaseDecision.Kind.REEXAMINE,
        outcome=True,
        decided_on=decided_on,
        reasons=reasons.strip(),
        review_on=review_on,
    )


@transaction.atomic
def decide_reopen(*, case: Case, by, decided_on: date, reasons: str) -> CaseDecision:
    """A discharged case is read-only; opening it again is a decision with its reasons.

    The case goes back to implementation and needs a new re-examination date like any
    granted support (six months from the decision).
    """
    case.refresh_from_db(fields=["state"])
    if case.state != State.DISCHARGED:
        raise ValidationError(_("Bara ett utskrivet ärende kan återöppnas."))
    allowed = policy.decide_transition(
        by, case, find_transition(State.DISCHARGED, State.IMPLEMENTATION)
    )
    if not allowed:
        raise ValidationError(allowed.reason or _("Du får inte fatta beslutet."))
    errors: dict = {}
    _check_common(decided_on, reasons, errors)
    if errors:
        raise ValidationError(errors)
    decision = _record(
        case,
        by,
        kind=CaseDecision.Kind.REOPEN,
        outcome=True,
        decided_on=decided_on,
        reasons=reasons.strip(),
        review_on=default_review_on(decided_on),
    )
    case_transition(case=case, to_state=State.IMPLEMENTATION, by=by, reason=reasons)
    Case.objects.filter(pk=case.pk).update(discharge_reason=None)
    return decision


REVIEWED_KINDS = (CaseDecision.Kind.ENROL, CaseDecision.Kind.REEXAMINE, CaseDecision.Kind.REOPEN)


def current_review(case_ids) -> dict[int, CaseDecision]:
    """The decision whose review date applies now, per case: the newest enrol/re-examination."""
    latest: dict[int, CaseDecision] = {}
    decisions = CaseDecision.objects.filter(case_id__in=case_ids, kind__in=REVIEWED_KINDS)
    for decision in decisions.select_related("case__unit"):
        known = latest.get(decision.case_id)
        if known is None or (decision.decided_on, decision.pk) > (known.decided_on, known.pk):
            latest[decision.case_id] = decision
    return latest


# --- Follow-up assessment (bilaga 3.4) ------------------------------------------------------


@transaction.atomic
def follow_up_save(
    *,
    case: Case,
    by,
    kind: str,
    assessed_on: date,
    occupation: str,
    housing: str,
    substance_use: str,
    criminal_network: str,
    income: str,
    ratings: list[dict],
    offences_last_six_months: int | None = None,
    note: str = "",
    previous: FollowUpAssessment | None = None,
) -> FollowUpAssessment:
    """`ratings`: dicts with life_area, rating, note. The first assessment is made at the
    enrolment decision; the second with the same form later."""
    decision = policy.require_section(by, case, Section.FOLLOW_UP)
    if previous is not None and previous.case_id != case.pk:
        raise ValidationError(_("Versionen hör till ett annat ärende."))
    errors: dict = {}
    if case.state not in ENROLLED_STATES:
        raise ValidationError(_("Uppföljningsbedömningen görs när ärendet är beviljat."))
    if kind not in FollowUpAssessment.Kind.values:
        errors["kind"] = _("Välj vilken bedömning det är.")
    elif previous is None:
        exists = FollowUpAssessment.objects.filter(
            case=case, kind=kind, superseded_at__isnull=True
        ).exists()
        if exists:
            errors["kind"] = _("Den bedömningen finns redan – öppna den och spara en ny version.")
        if (
            kind == FollowUpAssessment.Kind.SECOND
            and not FollowUpAssessment.objects.filter(
                case=case, kind=FollowUpAssessment.Kind.FIRST
            ).exists()
        ):
            errors["kind"] = _("Gör den första bedömningen innan den andra.")
    if assessed_on > timezone.localdate():
        errors["assessed_on"] = _("Datumet kan inte ligga i framtiden.")
    areas = {a.pk for a in unit_life_areas(case)}
    if any(r["life_area"].pk not in areas for r in ratings):
        errors["ratings"] = _("Livsområdet finns inte i enhetens lista.")
    if errors:
        raise ValidationError(errors)
    assessment = FollowUpAssessment(
        case=case,
        kind=kind if previous is None else previous.kind,
        assessed_on=assessed_on,
        occupation=occupation,
        housing=housing,
        substance_use=substance_use,
        offences_last_six_months=offences_last_six_months,
        criminal_network=criminal_network,
        income=income,
        note=note.strip(),
    )
    save_version(assessment, by=by, previous=previous)
    FollowUpRating.objects.bulk_create(
        FollowUpRating(
            assessment=assessment,
            life_area=r["life_area"],
            rating=r.get("rating"),
            note=(r.get("note") or "").strip(),
        )
        for r in ratings
    )
    log.record(
        user=by,
        action=log.Action.CREATE if assessment.version == 1 else log.Action.CHANGE,
        object_type=str(Section.FOLLOW_UP),
        case=case,
        object_id=assessment.pk,
        grounds=decision.grounds,
        detail=f"{assessment.kind} version={assessment.version}",
    )
    return assessment
