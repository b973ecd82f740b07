"""Write use case for the failure review (haverikommission).

A review is opened when a plan breaks down or the person reoffends: the network is convened,
the course of events, causes and lessons are written down, and decisions are made, each with
someone responsible and a date. It is edited in place (not versioned); `based_on` (the
`updated_at` the form showed) makes a save refuse instead of overwriting someone else's change.
The case's social-services staff write it, on an open case only.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.policy import Section
from insats.cases.models import Case

from .models import FailureReview, FailureReviewDecision

OBJECT_TYPE = str(Section.FAILURE_REVIEW)
CONFLICT = "conflict"


def conflict_error(review: FailureReview) -> ValidationError:
    return ValidationError(
        _(
            "Haverikommissionen har ändrats av någon annan (%(at)s) medan du skrev. "
            "Ingenting av det du skrivit har sparats eller försvunnit: öppna den sparade "
            "haverikommissionen i en ny flik och jämför. Om du sparar igen ersätter det du "
            "skrivit här den sparade versionen."
        )
        % {"at": timezone.localtime(review.updated_at).strftime("%Y-%m-%d %H:%M")},
        code=CONFLICT,
    )


def _not_in_future(day: date | None, field: str, errors: dict, today: date) -> None:
    if day is not None and day > today:
        errors[field] = _("Datumet kan inte ligga i framtiden.")


def _check_decisions(decisions: list[dict], today: date) -> list[str]:
    problems = []
    for number, row in enumerate(decisions, start=1):
        label = {"n": number}
        if not (row.get("decision") or "").strip():
            problems.append(_("Beslut %(n)s: skriv vad som beslutades.") % label)
        if not (row.get("responsible") or "").strip():
            problems.append(_("Beslut %(n)s: ange vem som ansvarar.") % label)
        if row.get("due_on") is None:
            problems.append(_("Beslut %(n)s: ange när det ska vara genomfört.") % label)
        done_on = row.get("done_on")
        if done_on is not None and done_on > today:
            problems.append(
                _("Beslut %(n)s: genomfört-datumet kan inte ligga i framtiden.") % label
            )
    return problems


@transaction.atomic
def failure_review_save(
    *,
    case: Case,
    by,
    review: FailureReview | None = None,
    trigger: str,
    opened_on: date,
    convened: str,
    timeline: str = "",
    causes: str = "",
    lessons: str = "",
    closed_on: date | None = None,
    decisions: list[dict] = (),
    based_on: datetime | None = None,
) -> FailureReview:
    """Open a review (review=None) or change one, with all its decisions.

    `decisions`: dicts with decision, responsible, due_on and optionally done_on; they replace
    the review's earlier decisions. Closing a review (closed_on) needs its causes and lessons.
    """
    decision = policy.require_section(by, case, Section.FAILURE_REVIEW)
    if review is not None:
        if review.case_id != case.pk:
            raise ValidationError(_("Haverikommissionen hör till ett annat ärende."))
        review = FailureReview.objects.select_for_update().get(pk=review.pk)
        if based_on is not None and review.updated_at != based_on:
            raise conflict_error(review)
    today = timezone.localdate()
    decisions = list(decisions)
    errors: dict = {}
    if trigger not in FailureReview.Trigger.values:
        errors["trigger"] = _("Välj anledningen till haverikommissionen.")
    if opened_on is None:
        errors["opened_on"] = _("Ange när haverikommissionen öppnades.")
    else:
        _not_in_future(opened_on, "opened_on", errors, today)
    if not convened.strip():
        errors["convened"] = _("Ange vilka i nätverket som sammankallas.")
    if closed_on is not None:
        _not_in_future(closed_on, "closed_on", errors, today)
        if opened_on is not None and closed_on < opened_on:
            errors["closed_on"] = _("Haverikommissionen kan inte avslutas innan den öppnades.")
        elif not causes.strip() or not lessons.strip():
            errors["closed_on"] = _("Skriv orsaker och lärdomar innan haverikommissionen avslutas.")
    problems = _check_decisions(decisions, today)
    if problems:
        errors["decisions"] = problems
    if errors:
        raise ValidationError(errors)

    created = review is None
    if created:
        review = FailureReview(case=case, created_by=by)
    review.trigger = trigger
    review.opened_on = opened_on
    review.convened = convened.strip()
    review.timeline = timeline.strip()
    review.causes = causes.strip()
    review.lessons = lessons.strip()
    review.closed_on = closed_on
    review.save()
    review.decisions.all().delete()
    FailureReviewDecision.objects.bulk_create(
        FailureReviewDecision(
            review=review,
            decision=row["decision"].strip(),
            responsible=row["responsible"].strip(),
            due_on=row["due_on"],
            done_on=row.get("done_on"),
        )
        for row in decisions
    )
    log.record(
        user=by,
        action=log.Action.CREATE if created else log.Action.CHANGE,
        object_type=OBJECT_TYPE,
        case=case,
        object_id=review.pk,
        grounds=decision.grounds,
        detail=f"decisions={len(decisions)}{' closed' if closed_on else ''}",
    )
    return review
