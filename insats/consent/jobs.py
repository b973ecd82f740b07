"""Daily consent housekeeping: tell coordinators when a consent has run out.

Access never depends on this job (the policy compares dates on every request); the job only
makes sure a person hears about it. Idempotent: a consent is notified once.
"""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from insats.access import policy
from insats.organisations.models import Role
from insats.outbox.services import enqueue

from .models import Consent


def notify_expired_consents(today: date) -> int:
    # A consent the closing of its case ended is no longer anyone's ground: nothing to chase.
    expired = Consent.objects.filter(
        valid_until__lt=today,
        revoked_on__isnull=True,
        ended_on__isnull=True,
        expiry_notified_on__isnull=True,
    ).select_related("case__coordinator")
    sent = 0
    for consent in expired:
        recipients = _recipients(consent.case)
        if not recipients:
            continue  # stays unnotified, so the notice goes out once someone has an address
        with transaction.atomic():
            # Claimed and enqueued in one transaction: two overlapping runs cannot both send,
            # and the outbox delivers it after commit (a rolled-back run sends nothing).
            claimed = Consent.objects.filter(pk=consent.pk, expiry_notified_on__isnull=True).update(
                expiry_notified_on=today
            )
            if not claimed:
                continue
            enqueue(
                key=f"consent-expiry:{consent.pk}:{consent.valid_until}:{today}",
                to=recipients,
                subject=_("Samtycke har gått ut: %(alias)s") % {"alias": consent.case.alias},
                body=_(
                    "Samtycket i %(alias)s gällde till och med %(until)s. Samverkanspartner "
                    "ser inte längre ärendet. Ta ställning till ett nytt samtycke."
                )
                % {"alias": consent.case.alias, "until": consent.valid_until},
            )
            sent += 1
    return sent


def _recipients(case) -> list[str]:
    """The coordinator; without one (or without an address), the unit's supervisors."""
    if case.coordinator is not None and case.coordinator.email:
        return [case.coordinator.email]
    supervisors = policy.unit_staff(case.unit_id, {Role.SUPERVISOR}).exclude(email="")
    return sorted(set(supervisors.values_list("email", flat=True)))
