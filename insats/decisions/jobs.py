"""Daily reminder: support that is due for re-examination (at least every six months).

Idempotent: each decision's review date is reminded once; a re-examination writes a new
decision with a new date, which is then reminded in its turn.
"""

from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from insats.access import policy
from insats.organisations.models import Role
from insats.outbox.services import enqueue

from .models import CaseDecision
from .services import ENROLLED_STATES, current_review

REMIND_DAYS_BEFORE = 14


def notify_due_reviews(today: date) -> int:
    horizon = today + timedelta(days=REMIND_DAYS_BEFORE)
    candidates = CaseDecision.objects.filter(
        review_on__lte=horizon,
        review_reminded_on__isnull=True,
        case__state__in=ENROLLED_STATES,
    ).values_list("case_id", flat=True)
    sent = 0
    for decision in current_review(set(candidates)).values():
        if decision.review_on is None or decision.review_on > horizon:
            continue
        if decision.review_reminded_on is not None:
            continue  # an older decision was the candidate; the current one is reminded already
        recipients = sorted(
            set(
                policy.unit_staff(decision.case.unit_id, {Role.SUPERVISOR})
                .exclude(email="")
                .values_list("email", flat=True)
            )
        )
        if not recipients:
            continue
        with transaction.atomic():
            claimed = CaseDecision.objects.filter(
                pk=decision.pk, review_reminded_on__isnull=True
            ).update(review_reminded_on=today)
            if not claimed:
                continue
            # Enqueued with the claim: delivered after commit (jobs of insats.outbox).
            enqueue(
                key=f"review-reminder:{decision.pk}:{decision.review_on}:{today}",
                to=recipients,
                subject=_("Bistånd ska omprövas: %(alias)s") % {"alias": decision.case.alias},
                body=_(
                    "Biståndet i %(alias)s ska omprövas senast %(day)s. Registrera omprövningen "
                    "under Beslut i ärendet."
                )
                % {"alias": decision.case.alias, "day": decision.review_on.isoformat()},
            )
            sent += 1
    return sent
