"""Unit-level pages (registers, collaboration) for staff in one or more units."""

from django.http import Http404

from insats.access import policy

UNIT_PARAM = "enhet"


def staff_units_or_404(user) -> list:
    """The units where the user is social-services staff; 404 for everyone else."""
    units = list(policy.units_visible_to(user).order_by("name", "pk"))
    if not units:
        raise Http404
    return units


def chosen_unit(request, units):
    """?enhet=<pk> among the user's units, else the first."""
    wanted = request.GET.get(UNIT_PARAM, "")
    return next((unit for unit in units if str(unit.pk) == wanted), units[0])
