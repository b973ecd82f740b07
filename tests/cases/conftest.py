"""Local fixtures for the case tests: drive a case to any state, read a re-rendered form."""

from collections import deque

import pytest

from insats.cases import services
from insats.cases.lifecycle import TRANSITIONS, State
from insats.cases.models import Case
from insats.organisations.models import DischargeReason
from tests import builders
from tests.conftest import FormReader


def path_to(target: str) -> list:
    """The shortest chain of allowed moves from intake to `target` (breadth-first search)."""
    paths = {State.INTAKE.value: []}
    queue = deque([State.INTAKE.value])
    while queue:
        state = queue.popleft()
        for transition in TRANSITIONS:
            if transition.source == state and transition.target.value not in paths:
                paths[transition.target.value] = [*paths[state], transition]
                queue.append(transition.target.value)
    if target not in paths:
        raise AssertionError(f"No path from intake to {target} in the lifecycle table")
    return paths[target]


def a_discharge_reason(world) -> DischargeReason:
    return DischargeReason.objects.filter(unit=world.unit, active=True).order_by("position")[0]


def drive_case(world, case: Case, target: str) -> Case:
    """Move a fresh intake to `target` through the service, as the deciding supervisor.

    The supervisor is neither the case's investigator nor its coordinator, so decision moves
    are allowed and go through the decision services; before enrolment the investigation is
    completed (identifying the case);
    discharges name the first active reason of the unit.
    """
    for transition in path_to(target):
        if transition.target == State.ASSIGNMENT:
            builders.complete_investigation(world, case)
        if transition.is_decision:
            builders.decide(world, case, transition.target)
            continue
        services.case_transition(
            case=case,
            to_state=transition.target,
            by=world.supervisor,
            reason=f"Steg till {transition.target.label}.",
            discharge_reason=a_discharge_reason(world)
            if transition.needs_discharge_reason
            else None,
            summary="Sammanfattning av insatsen.",
        )
    case.refresh_from_db()
    assert case.state == target
    return case


@pytest.fixture
def case_in(unit_a):
    """`case_in(State.DECISION)` — a de-identified case of unit A in that state."""

    def make(state, world=None, **fields):
        world = world or unit_a
        return drive_case(world, world.case(**fields), state)

    return make


def read_form(html: str) -> dict[str, str]:
    """Field name → the value the page would submit (last one wins; textarea newline trimmed)."""
    reader = FormReader()
    reader.feed(html)
    return {name: values[-1].removeprefix("\n") for name, values in reader.values.items()}


@pytest.fixture
def form_values():
    def read(response) -> dict[str, str]:
        return read_form(response.content.decode())

    return read
