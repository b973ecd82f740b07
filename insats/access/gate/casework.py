"""Gates for the unit's returnee register (återvändare).

The register is the unit's, not a case's: an entry names a case of the unit or, before there
is one, only a person's name. Its social-services staff keep it; everyone else gets a 404, and
a refused attempt on an entry that exists is logged against the entry's unit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404

from insats.casework.models import Returnee

from .. import log
from ..decorators import SIGNED_IN, access_policy
from ..policy import Decision, decide_unit_staff
from .core import gated, int_or_404, record_fetch
from .units import staff_units_or_404

RETURNEE = "returnee"  # the entry's object type in the access log


def fetch_returnee(user, pk, *, write: bool = False) -> tuple[Returnee, Decision]:
    """The entry if the user is staff of its unit, else 404 (a refusal is logged).

    Reading the entry is logged here; a write is logged by the service as the change itself.
    """
    returnee = Returnee.objects.select_related("unit", "case").filter(pk=int_or_404(pk)).first()
    if returnee is None:
        raise Http404
    decision = decide_unit_staff(user, returnee.unit_id)
    if not decision or not write:
        record_fetch(
            user,
            decision,
            object_type=RETURNEE,
            object_id=returnee.pk,
            case=returnee.case,
            unit_id=returnee.unit_id,
            log_as=log.Action.VIEW,
            detail="write" if write else "read",
        )
    if not decision:
        raise Http404
    return returnee, decision


def returnee_view(view) -> Callable:
    """A page of one entry: called with `returnee=`, `decision=` and `units=` (the units where
    the user is staff). POST writes; GET reads and is logged as a view."""

    @wraps(view)
    def call(request, *args, **kwargs):
        returnee, decision = fetch_returnee(
            request.user, kwargs.pop("pk"), write=request.method == "POST"
        )
        units = staff_units_or_404(request.user)
        return view(request, *args, returnee=returnee, decision=decision, units=units, **kwargs)

    return gated(RETURNEE, call)


def register_view(view) -> Callable:
    """A page of the whole register (the list, a new entry): called with `units=`, the units
    where the user is social-services staff; 404 for anyone who is staff nowhere. What the page
    lists it logs itself, per unit."""

    @wraps(view)
    def call(request, *args, **kwargs):
        return view(request, *args, units=staff_units_or_404(request.user), **kwargs)

    return access_policy(SIGNED_IN)(call)


__all__ = ["fetch_returnee", "register_view", "returnee_view"]
