"""Daily reminder: agreements and situation pictures that are due for review.

The unit's supervisors get one e-mail per agreement, 14 days before its review date (or at
once, when the date is nearer or already past). Idempotent: each review date is reminded once;
changing the date clears the mark (services_groups.agreement_save), so the new date is reminded
in its turn. Contacts due for review are shown on the collaboration overview, not mailed.
"""

from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from insats.access import policy
from insats.organisations.models import Role
from insats.outbox.services import enqueue

from .models import Agreement

REMIND_DAYS_BEFORE = 14


def remind_reviews(today: date) -> int:
    """E-mail the supervisors about each agreement due within 14 days; return how many."""
    horizon = today + timedelta(days=REMIND_DAYS_BEFORE)
    due = Agreement.objects.filter(
        review_on__lte=horizon, review_reminded_on__isnull=True
    ).select_related("unit")
    sent = 0
    for agreement in due:
        recipients = sorted(
            set(
                policy.unit_staff(agreement.unit_id, {Role.SUPERVISOR})
                .exclude(email="")
                .values_list("email", flat=True)
            )
        )
        if not recipients:
            continue  # stays unreminded until a supervisor has an address
        with transaction.atomic():
            # Claimed and enqueued in one transaction: two overlapping runs cannot both send;
            # the outbox delivers it after commit.
            claimed = Agreement.objects.filter(
                pk=agreement.pk, review_reminded_on__isnull=True, review_on=agreement.review_on
            ).update(review_reminded_on=today)
            if not claimed:
                continue
            enqueue(
                key=f"agreement-review:{agreement.pk}:{agreement.review_on}:{today}",
                to=recipients,
                subject=_("%(kind)s ska ses över: %(title)s")
                % {"kind": agreement.get_kind_display(), "title": agreement.title},
                body=_(
                    "%(kind)s ”%(title)s” för %(unit)s (daterad %(dated)s) ska ses över senast "
                    "%(review)s. Registrera det nya datumet under Samverkan → "
                    "Överenskommelser och lägesbild när översynen är gjord."
                )
                % {
                    "kind": agreement.get_kind_display(),
                    "title": agreement.title,
                    "unit": agreement.unit,
                    "dated": agreement.dated_on.isoformat(),
                    "review": agreement.review_on.isoformat(),
                },
            )
            sent += 1
    return sent
