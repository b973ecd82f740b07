"""Daily consent housekeeping: tell coordinators when a consent has run out.

Access never depends on this job (the policy compares dates on every request); the job only
makes sure a person hears about it. Idempotent: a consent is notified once.
"""

from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Consent


def notify_expired_consents(today: date) -> int:
    expired = Consent.objects.filter(
        valid_until__lt=today, revoked_on__isnull=True, expiry_notified_on__isnull=True
    ).select_related("case__coordinator")
    sent = 0
    for consent in expired:
        with transaction.atomic():
            # Re-read under lock so two overlapping runs cannot both send.
            claimed = Consent.objects.filter(
                pk=consent.pk, expiry_notified_on__isnull=True
            ).update(expiry_notified_on=today)
            if not claimed:
                continue
            coordinator = consent.case.coordinator
            if coordinator is None or not coordinator.email:
                continue
            send_mail(
                subject=_("Samtycke har gått ut: %(alias)s") % {"alias": consent.case.alias},
                message=_(
                    "Samtycket i %(alias)s gällde till och med %(until)s. Samverkanspartner "
                    "ser inte längre ärendet. Ta ställning till ett nytt samtycke."
                )
                % {"alias": consent.case.alias, "until": consent.valid_until},
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[coordinator.email],
            )
            sent += 1
    return sent
