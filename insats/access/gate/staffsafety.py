"""Gates for staff safety: a safety talk, and a coordinator's competence checklist.

A talk is read by the supervisors of its unit and by its employee (policy.decide_safety_talk);
a checklist by the unit's supervisors and the coordinator themselves
(policy.decide_competence). Everyone else gets a 404, logged. Changing, signing and sharing a
talk are decided by the same policy function with their own action, so the pages and the
services give the same answer and the same reason.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404

from insats.core.units import chosen_unit
from insats.organisations.models import Unit, User
from insats.staffsafety import selectors
from insats.staffsafety.models import SafetyTalk

from .. import log, policy
from ..policy import Decision, TalkAction
from .core import gated, int_or_404, record_fetch


def record_talk(request, talk: SafetyTalk, decision: Decision, action: str = log.Action.VIEW):
    """One entry for a talk shown (or printed), naming whose talk it is."""
    log.record(
        user=request.user,
        action=action,
        object_type="safety_talk",
        unit_id=talk.unit_id,
        object_id=talk.pk,
        grounds=decision.grounds,
        detail=f"employee={talk.employee_id}",
    )


def refuse_talk(request, talk: SafetyTalk, detail: str) -> None:
    """Log a refused change, signature or share of a talk the user may read."""
    record_fetch(
        request.user,
        policy.DENY,
        object_type="safety_talk",
        object_id=talk.pk,
        unit_id=talk.unit_id,
        detail=detail,
    )


def talk_view(*, log_as: str | None = log.Action.VIEW, reads_on_get: bool = False) -> Callable:
    """A page of one talk: called with `talk=` and `decision=` (the decision to read it).

    The read is logged as `log_as`; with `reads_on_get` only for GET, because a POST either
    changes the talk (logged by the service) or is refused (logged with refuse_talk), and a
    form shown again after a failed POST is logged by the page with record_talk. With
    `log_as=None` the page logs the read itself, when it shows the talk (the edit form, which
    sends the user back when the talk can no longer change).
    """

    def decorate(view):
        @wraps(view)
        def call(request, *args, **kwargs):
            talk = selectors.talk_with_people(int_or_404(kwargs.pop("talk_pk")))
            if talk is None:
                raise Http404
            decision = policy.decide_safety_talk(request.user, talk, TalkAction.READ)
            if not decision:
                refuse_talk(request, talk, "write" if request.method == "POST" else "read")
                raise Http404
            if log_as is not None and not (reads_on_get and request.method == "POST"):
                record_talk(request, talk, decision, log_as)
            return view(request, *args, talk=talk, decision=decision, **kwargs)

        return gated("safety_talk", call)

    return decorate


def competence_view(view) -> Callable:
    """One coordinator's competence checklist: called with `coordinator=`, `unit=` (chosen
    with ?enhet= among `units=`, the units whose checklist for them the user may open) and
    `decision=`. A GET is logged; saving is logged by the service."""

    @wraps(view)
    def call(request, *args, **kwargs):
        user = request.user
        coordinator = User.objects.filter(pk=int_or_404(kwargs.pop("coordinator_pk"))).first()
        if coordinator is None:
            raise Http404
        units = [
            unit
            for unit in selectors.competence_units_of(coordinator)
            if policy.decide_competence(user, coordinator, unit.pk)
        ]
        writing = request.method == "POST"
        if not units:
            record_fetch(
                user,
                policy.DENY,
                object_type="competence",
                object_id=coordinator.pk,
                detail="write" if writing else "read",
            )
            raise Http404
        unit = chosen_unit(request, units)
        decision = policy.decide_competence(user, coordinator, unit.pk)
        if not writing:
            record_fetch(
                user, decision, object_type="competence", object_id=coordinator.pk, unit_id=unit.pk
            )
        return view(
            request,
            *args,
            coordinator=coordinator,
            unit=unit,
            units=units,
            decision=decision,
            **kwargs,
        )

    return gated("competence", call)


def staff_safety_scope_or_404(user) -> tuple[list, list, list, set[int]]:
    """What the staff-safety overview may show the user: the units they supervise, their own
    talks and checklists, and the units where they are operative staff. A 404 with none."""
    units = list(Unit.objects.filter(pk__in=policy.review_units(user)).order_by("name", "pk"))
    own_talks = selectors.own_talks(user)
    own_competence = selectors.competence_units_of(user)
    operative = policy.roles_of(user).units_with(selectors.OPERATIVE_ROLES)
    if not (units or operative or own_talks or own_competence):
        raise Http404
    return units, own_talks, own_competence, operative


__all__ = [
    "competence_view",
    "record_talk",
    "refuse_talk",
    "staff_safety_scope_or_404",
    "talk_view",
]
