"""The case lifecycle: states and the one table of allowed moves between them.

States follow the Stockholm six steps (aktualisera, utreda, besluta, utforma uppdrag,
genomföra, följa upp) plus the three ways a case ends.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from insats.organisations.models import Role


class State(models.TextChoices):
    INTAKE = "intake", _("Aktualisering")
    INVESTIGATION = "investigation", _("Utredning")
    DECISION = "decision", _("Beslut")
    ASSIGNMENT = "assignment", _("Utforma uppdrag")
    IMPLEMENTATION = "implementation", _("Genomförande")
    FOLLOW_UP = "follow_up", _("Uppföljning")
    DISCHARGED = "discharged", _("Utskriven")
    DECLINED = "declined", _("Avslutad utan insats")
    WITHDRAWN = "withdrawn", _("Återtagen")


CLOSED_STATES = frozenset({State.DISCHARGED, State.DECLINED, State.WITHDRAWN})

STAFF = frozenset({Role.COORDINATOR, Role.INVESTIGATOR, Role.SUPERVISOR})
CASEWORK = frozenset({Role.COORDINATOR, Role.SUPERVISOR})
SUPERVISOR_ONLY = frozenset({Role.SUPERVISOR})


@dataclass(frozen=True)
class Transition:
    source: State
    target: State
    label: Promise
    roles: frozenset
    is_decision: bool = False  # needs a supervisor with delegation, kept apart from the case work
    needs_discharge_reason: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition(State.INTAKE, State.INVESTIGATION, _("Inled utredning"), STAFF),
    Transition(State.INTAKE, State.WITHDRAWN, _("Avsluta aktualiseringen"), STAFF),
    Transition(State.INVESTIGATION, State.DECISION, _("Lämna för beslut"), STAFF),
    Transition(
        State.INVESTIGATION,
        State.DECLINED,
        _("Besluta att inte utreda vidare"),
        SUPERVISOR_ONLY,
        is_decision=True,
    ),
    Transition(State.INVESTIGATION, State.WITHDRAWN, _("Den enskilde avstår"), STAFF),
    Transition(State.DECISION, State.INVESTIGATION, _("Återför till utredning"), SUPERVISOR_ONLY),
    Transition(
        State.DECISION,
        State.ASSIGNMENT,
        _("Besluta om insats"),
        SUPERVISOR_ONLY,
        is_decision=True,
    ),
    Transition(
        State.DECISION,
        State.DECLINED,
        _("Besluta om avslag"),
        SUPERVISOR_ONLY,
        is_decision=True,
    ),
    Transition(State.ASSIGNMENT, State.IMPLEMENTATION, _("Starta genomförandet"), CASEWORK),
    Transition(State.IMPLEMENTATION, State.FOLLOW_UP, _("Gå till uppföljning"), CASEWORK),
    Transition(State.FOLLOW_UP, State.IMPLEMENTATION, _("Fortsätt genomförandet"), CASEWORK),
    *(
        Transition(source, State.DISCHARGED, _("Skriv ut"), CASEWORK, needs_discharge_reason=True)
        for source in (State.ASSIGNMENT, State.IMPLEMENTATION, State.FOLLOW_UP)
    ),
    # A discharged case is read-only; opening it again is a decision with its reasons.
    Transition(
        State.DISCHARGED,
        State.IMPLEMENTATION,
        _("Återöppna ärendet"),
        SUPERVISOR_ONLY,
        is_decision=True,
    ),
)

_BY_MOVE = {(t.source, t.target): t for t in TRANSITIONS}

# Rules other apps add to a move: guard(case, user) -> list of Swedish messages naming what is
# missing (empty = allowed). The decisions app registers the enrolment conditions here, so that
# no path through case_transition can enrol a case whose investigation is incomplete.
_GUARDS: dict[tuple[str, str], list] = {}


def register_guard(source: State, target: State, guard) -> None:
    guards = _GUARDS.setdefault((source, target), [])
    if guard not in guards:
        guards.append(guard)


def guard_messages(case, user, transition: Transition) -> list[str]:
    return [
        message
        for guard in _GUARDS.get((transition.source, transition.target), ())
        for message in guard(case, user)
    ]


# What other apps do when a case enters a state: effect(case=, by=, transition=, decision=),
# run inside the move's transaction, after it is saved. The consent app ends the case's
# consents when it closes, so that closing ends every partner ground on every path.
_ON_ENTER: dict[str, list] = {}


def register_on_enter(target: State, effect) -> None:
    effects = _ON_ENTER.setdefault(target, [])
    if effect not in effects:
        effects.append(effect)


def on_enter_effects(target: str) -> list:
    return list(_ON_ENTER.get(target, ()))


def find_transition(source: str, target: str) -> Transition | None:
    return _BY_MOVE.get((source, target))


def transitions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == state]
