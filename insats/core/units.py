"""Unit-level pages (registers, collaboration) for staff in one or more units: which of the
user's units a page shows. Which units those are is the gate's (insats/access/gate/units.py)."""

UNIT_PARAM = "enhet"


def chosen_unit(request, units):
    """?enhet=<pk> among the user's units, else the first."""
    wanted = request.GET.get(UNIT_PARAM, "")
    return next((unit for unit in units if str(unit.pk) == wanted), units[0])
