"""Read queries for consent, starting from the access policy's visible cases."""

from datetime import date, timedelta

from django.db.models import Q, QuerySet

from insats.access import policy
from insats.organisations.models import Role

from .models import Consent

EXPIRY_WARNING_DAYS = 30


def expiring_consents(user, today: date) -> QuerySet[Consent]:
    """Active consents ending within 30 days: the coordinator's own cases, a supervisor's unit."""
    supervised = policy.roles_of(user).units_with({Role.SUPERVISOR})
    own = Q(case__coordinator=user, case__unit_id__in=policy.staff_units(user))
    return (
        Consent.objects.active_on(today)
        .filter(valid_until__lte=today + timedelta(days=EXPIRY_WARNING_DAYS))
        .filter(Q(case__unit_id__in=supervised) | own)
        .select_related("case")
        .order_by("valid_until")
    )


def case_consents(case) -> QuerySet[Consent]:
    return case.consents.prefetch_related("organisations", "categories").select_related(
        "recorded_by"
    )
