"""Write use cases for people and guardians."""

from django.db import transaction

from insats.access import log, policy
from insats.access.gate.consent import require
from insats.organisations.models import Unit

from .models import Guardian, Person


@transaction.atomic
def person_create(*, unit: Unit, by, **fields) -> Person:
    decision = require(policy.may_create_case(by, unit))
    person = Person(unit=unit, **fields)
    person.full_clean()
    person.save()
    _log(by, log.Action.CREATE, person, decision)
    return person


@transaction.atomic
def person_update(*, person: Person, by, **fields) -> Person:
    decision = _require(by, person)
    for name, value in fields.items():
        setattr(person, name, value)
    person.full_clean()
    person.save()
    _log(by, log.Action.CHANGE, person, decision)
    return person


@transaction.atomic
def guardian_add(*, person: Person, by, **fields) -> Guardian:
    decision = _require(by, person)
    guardian = Guardian(person=person, **fields)
    guardian.full_clean()
    guardian.save()
    _log(by, log.Action.CHANGE, person, decision, f"guardian {guardian.pk} added")
    return guardian


@transaction.atomic
def guardian_remove(*, guardian: Guardian, by) -> None:
    decision = _require(by, guardian.person)
    _log(by, log.Action.CHANGE, guardian.person, decision, f"guardian {guardian.pk} removed")
    guardian.delete()


def _require(by, person: Person) -> policy.Decision:
    return require(policy.decide_person(by, policy.Action.CHANGE_PERSON, person))


def _log(by, action: str, person: Person, decision, detail: str = "") -> None:
    log.record(
        user=by,
        action=action,
        object_type="person",
        person=person,
        object_id=person.pk,
        grounds=decision.grounds,
        detail=detail,
    )
