"""The gate's mechanism: every object page receives its object from here, never fetches it.

A gate decorator fetches the object named in the URL, asks the policy, writes the access-log
entry (allowed with its grounds, or refused) and calls the view with the object and the
decision as keyword arguments. A refusal is a 404, so that nobody learns whether the object
exists. The URL walker (tests/test_url_policies.py) fails for any object page whose view was
not wrapped here: `gate` names the kind of object it hands over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.http import Http404

from .. import log
from ..decorators import OBJECT
from ..policy import Decision

MAX_ID = 2**63 - 1  # the largest primary key either database stores


def int_or_404(value) -> int:
    """An id from a URL or a form: anything that cannot be a row's key is a plain 404."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < number <= MAX_ID:
        raise Http404
    return number


def record_fetch(
    user,
    decision: Decision,
    *,
    object_type: str,
    object_id,
    log_as: str = log.Action.VIEW,
    case=None,
    person=None,
    unit_id: int | None = None,
    detail: str = "",
) -> None:
    """One access-log entry for one fetch: allowed with its grounds, or refused."""
    if decision:
        log.record(
            user=user,
            action=log_as,
            object_type=object_type,
            case=case,
            person=person,
            unit_id=unit_id,
            object_id=object_id,
            grounds=decision.grounds,
            category=decision.logged_categories,
        )
    else:
        log.record(
            user=user,
            action=log.Action.DENIED,
            object_type=object_type,
            case=case,
            person=person,
            unit_id=unit_id,
            object_id=object_id,
            detail=detail,
        )


@dataclass(frozen=True)
class Child:
    """An object that belongs to the gated one (a version of an assessment, a measure of the
    plan). It is looked up *within* its parent before the parent is fetched, so that a wrong id
    is a plain 404 and leaves no logged access behind; the view receives it as `name`."""

    name: str
    model: type[models.Model]
    kwarg: str
    parent_field: str = "case_id"
    related: tuple[str, ...] = field(default_factory=tuple)

    def fetch(self, value, parent_pk: int):
        found = (
            self.model.objects.select_related(*self.related)
            .filter(pk=int_or_404(value), **{self.parent_field: parent_pk})
            .first()
        )
        if found is None:
            raise Http404
        return found


def gated(kind: str, call: Callable) -> Callable:
    """Wrap `call(request, *args, **kwargs)` as a signed-in object page of this kind."""

    @wraps(call)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return call(request, *args, **kwargs)

    wrapped.access_policy = OBJECT
    wrapped.gate = kind
    return wrapped
