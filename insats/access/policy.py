"""The one gate: who may see which cases and people, and do what with them.

Every view, export and search asks this module; nothing else decides access. Each answer
carries its grounds (the role in a unit, later case membership and consent), so that the
access log can say *why* someone could see something.

Users without access to an object get a 404, never a 403: a 403 would confirm that the case
exists.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from insats.cases.lifecycle import STAFF, Transition
from insats.cases.models import Case
from insats.organisations.models import Membership, Role, Unit
from insats.people.models import Person


class Action(StrEnum):
    VIEW_CASE = "case.view"
    CREATE_CASE = "case.create"
    TRANSITION_CASE = "case.transition"
    ASSIGN_STAFF = "case.assign_staff"
    IDENTIFY_CASE = "case.identify"
    VIEW_PERSON = "person.view"
    VIEW_PERSON_CONTACT = "person.view_contact"
    CHANGE_PERSON = "person.change"


@dataclass(frozen=True)
class Ground:
    """Why access was given: a role in a unit, a case membership, a consent, a legal basis."""

    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.detail}"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    grounds: tuple[Ground, ...] = ()
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


DENY = Decision(False)


@dataclass
class Roles:
    """A user's active roles per unit, read once per request (one query)."""

    by_unit: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    deciding_units: set[int] = field(default_factory=set)

    def in_unit(self, unit_id: int) -> set[str]:
        return self.by_unit.get(unit_id, set())

    def units_with(self, roles) -> set[int]:
        return {unit for unit, held in self.by_unit.items() if held & set(roles)}


def roles_of(user) -> Roles:
    """The user's roles, cached on the user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Roles()
    cached = getattr(user, "_insats_roles", None)
    if cached is not None:
        return cached
    roles = Roles()
    memberships = Membership.objects.filter(user=user, active=True).values_list(
        "organisation__unit_id", "role", "may_decide"
    )
    for unit_id, role, may_decide in memberships:
        roles.by_unit[unit_id].add(role)
        if may_decide and role == Role.SUPERVISOR:
            roles.deciding_units.add(unit_id)
    user._insats_roles = roles
    return roles


def forget_roles(user) -> None:
    """Drop the cached roles (after memberships change within one request or test)."""
    user.__dict__.pop("_insats_roles", None)


def _staff_grounds(user, unit_id: int) -> tuple[Ground, ...]:
    held = roles_of(user).in_unit(unit_id) & STAFF
    return tuple(Ground("role", f"{role}@unit:{unit_id}") for role in sorted(held))


# --- Querysets: which objects may this user see at all --------------------------------------


def staff_units(user) -> set[int]:
    return roles_of(user).units_with(STAFF)


def units_visible_to(user) -> QuerySet[Unit]:
    return Unit.objects.filter(pk__in=staff_units(user))


def cases_visible_to(user) -> QuerySet[Case]:
    """Every case the user may see in a list, a search or a count."""
    return Case.objects.filter(unit_id__in=staff_units(user))


def people_visible_to(user) -> QuerySet[Person]:
    return Person.objects.filter(unit_id__in=staff_units(user))


# --- Decisions on one object ----------------------------------------------------------------


def decide_case(user, action: Action, case: Case) -> Decision:
    """May the user do this action on this case?"""
    grounds = _staff_grounds(user, case.unit_id)
    if not grounds:
        return DENY
    if action in (Action.VIEW_CASE, Action.IDENTIFY_CASE, Action.TRANSITION_CASE):
        return Decision(True, grounds)
    if action == Action.ASSIGN_STAFF:
        if Role.SUPERVISOR in roles_of(user).in_unit(case.unit_id):
            return Decision(True, grounds)
        return Decision(False, reason=_("Endast arbetsledare kan fördela ärenden."))
    return DENY


def decide_transition(user, case: Case, transition: Transition) -> Decision:
    """May the user make this move on this case? The reason says why not, in Swedish."""
    if not decide_case(user, Action.TRANSITION_CASE, case):
        return DENY
    held = roles_of(user).in_unit(case.unit_id)
    if not held & transition.roles:
        return Decision(False, reason=_("Din roll får inte göra detta steg."))
    if transition.is_decision:
        if case.unit_id not in roles_of(user).deciding_units:
            return Decision(False, reason=_("Du har inte delegation att besluta."))
        if user.pk in (case.investigator_id, case.coordinator_id):
            return Decision(
                False,
                reason=_(
                    "Den som beslutar får inte vara ärendets utredare eller lots "
                    "(åtskillnad av uppgifter)."
                ),
            )
    return Decision(True, _staff_grounds(user, case.unit_id))


def decide_person(user, action: Action, person: Person) -> Decision:
    grounds = _staff_grounds(user, person.unit_id)
    if not grounds:
        return DENY
    if action in (Action.VIEW_PERSON, Action.CHANGE_PERSON, Action.VIEW_PERSON_CONTACT):
        return Decision(True, grounds)
    return DENY


def may_create_case(user, unit: Unit) -> Decision:
    grounds = _staff_grounds(user, unit.pk)
    return Decision(True, grounds) if grounds else DENY


# --- Fetching one object for a view ---------------------------------------------------------


def get_case_or_404(user, pk: int, action: Action = Action.VIEW_CASE) -> tuple[Case, Decision]:
    case = (
        cases_visible_to(user)
        .select_related(
            "unit",
            "person",
            "coordinator",
            "investigator",
            "decision_maker",
            "received_by",
            "discharge_reason",
        )
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    decision = decide_case(user, action, case)
    if not decision:
        raise Http404
    return case, decision


def get_person_or_404(
    user, pk: int, action: Action = Action.VIEW_PERSON
) -> tuple[Person, Decision]:
    person = people_visible_to(user).select_related("unit").filter(pk=pk).first()
    if person is None:
        raise Http404
    decision = decide_person(user, action, person)
    if not decision:
        raise Http404
    return person, decision


def is_administrator(user) -> bool:
    return bool(roles_of(user).units_with({Role.ADMINISTRATOR})) or user.is_superuser


def identity_visible_q(user) -> Q:
    """Cases whose person (name, identity number) the user may see, as a filter."""
    return Q(unit_id__in=staff_units(user))
