"""Navigation shown on every page, derived from the user's roles."""

from insats.access import policy
from insats.organisations.models import Role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    staff = bool(policy.staff_units(user))
    supervises = bool(policy.review_units(user))
    return {
        "nav_cases": staff or bool(policy.roles_of(user).units_with({Role.PARTNER})),
        "nav_collaboration": staff,
        "nav_log": supervises,
        "nav_supervision": supervises,
        # Supervisors reach the statistics from their overview; everyone else with statistics
        # (leadership, analysts, and staff who hold such a role in another unit) from here.
        "nav_statistics": not supervises and bool(policy.statistics_units(user)),
        "nav_admin": policy.is_administrator(user) and user.is_staff,
    }
