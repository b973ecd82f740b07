"""Gates for what hangs off a case in the consent app, for pages about the user's units, and
the one refusal the write use cases share.

- A consent or a group member in the URL is a `Child` of its case: looked up within the case
  before the case is fetched, so a wrong id (or a consent without a scan, a member already
  removed) is a plain 404 that leaves no logged access behind.
- The group page shows to everyone who sees the case and saves for those who manage the group:
  `case_view_post` decides by the request's method, so a refused save is logged as refused.
- A page about the user's units (the disclosure register, the supervisor's overview, intake)
  receives the units the policy gives the user (`unit_page`); a user with none gets a 404.
- Services end with `require(decision)`: the policy's refusal as PermissionDenied with its
  reason, so that no service decides on its own who may write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from insats.cases.models import CaseMember
from insats.consent.models import Consent

from ..decorators import SIGNED_IN, access_policy
from ..policy import Action, Decision
from .cases import case_view
from .core import Child, gated, int_or_404


@dataclass(frozen=True)
class ChildWhere(Child):
    """A child that must also match `where` to exist for the page."""

    where: Q = field(default_factory=Q)

    def fetch(self, value, parent_pk: int):
        found = (
            self.model.objects.select_related(*self.related)
            .filter(self.where, pk=int_or_404(value), **{self.parent_field: parent_pk})
            .first()
        )
        if found is None:
            raise Http404
        return found


CONSENT_RELATED = ("recorded_by", "revoked_by", "officer_organisation")
CONSENT = Child("consent", Consent, "consent_pk", related=CONSENT_RELATED)
# The scan download: a consent without an uploaded scan has nothing to hand over.
CONSENT_SCAN = ChildWhere(
    "consent", Consent, "consent_pk", related=CONSENT_RELATED, where=~Q(scan="")
)
# A member of the case's group who has not been removed.
ACTIVE_MEMBER = ChildWhere(
    "member",
    CaseMember,
    "member_pk",
    related=("user", "organisation"),
    where=Q(removed_at__isnull=True),
)


def case_view_post(
    *, read: Action = Action.VIEW_CASE, post: Action, object_type: str = "case"
) -> Callable:
    """A case page that shows to those who may `read` and saves (POST) for those who may
    `post`; each request is fetched, decided and logged under its own action."""

    def decorate(view):
        readers = case_view(action=read, object_type=object_type)(view)
        writers = case_view(action=post, object_type=object_type)(view)

        @wraps(view)
        def call(request, *args, **kwargs):
            chosen = writers if request.method == "POST" else readers
            return chosen(request, *args, **kwargs)

        return gated("case", call)

    return decorate


def unit_page(units_of: Callable[[object], set[int]]) -> Callable:
    """A page about the user's units: the view is called with `units=` (the ids the policy's
    `units_of(user)` gives); a user without any gets a 404, like any refused page."""

    def decorate(view):
        @wraps(view)
        def call(request, *args, **kwargs):
            units = units_of(request.user)
            if not units:
                raise Http404
            return view(request, *args, units=units, **kwargs)

        return access_policy(SIGNED_IN)(call)

    return decorate


def require(decision: Decision) -> Decision:
    """For write use cases: the policy's decision, or PermissionDenied with its reason."""
    if not decision:
        raise PermissionDenied(decision.reason)
    return decision


__all__ = [
    "ACTIVE_MEMBER",
    "CONSENT",
    "CONSENT_SCAN",
    "ChildWhere",
    "case_view_post",
    "require",
    "unit_page",
]
