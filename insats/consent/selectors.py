"""Read queries for consent, starting from the access policy's visible cases."""

from datetime import date, timedelta

from django.db.models import Q, QuerySet

from insats.access import policy
from insats.organisations.models import Organisation, Role

from .models import Consent, Disclosure

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


def covered_organisations(case, day: date) -> set[int]:
    """The organisations a consent of the case covers on that day (the group page marks them)."""
    return set(
        Organisation.objects.filter(
            consents__in=Consent.objects.active_on(day).filter(case=case)
        ).values_list("pk", flat=True)
    )


def case_consents(case) -> QuerySet[Consent]:
    return case.consents.prefetch_related("organisations", "categories").select_related(
        "recorded_by"
    )


def disclosure_register(
    user, *, start: date | None = None, end: date | None = None
) -> QuerySet[Disclosure]:
    """The disclosures without consent of the units where the user holds a staff role.

    The register is social services' own record, so it starts from the policy's staff units,
    never from the visible cases: a case the user sees only as a partner (in another unit,
    under a consent) has no place in it.
    """
    disclosures = (
        Disclosure.objects.filter(case__unit_id__in=policy.staff_units(user))
        .select_related("case__unit", "to_organisation", "legal_basis", "disclosed_by")
        .order_by("-disclosed_on", "-pk")
    )
    if start:
        disclosures = disclosures.filter(disclosed_on__gte=start)
    if end:
        disclosures = disclosures.filter(disclosed_on__lte=end)
    return disclosures
