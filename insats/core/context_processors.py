"""Navigation shown on every page, derived from the user's roles."""

from insats.access import policy


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_cases": bool(policy.staff_units(user)),
        "nav_admin": policy.is_administrator(user) and user.is_staff,
    }
