"""Write use cases for people and guardians."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from insats.access import policy
from insats.organisations.models import Unit

from .models import Guardian, Person


@transaction.atomic
def person_create(*, unit: Unit, by, **fields) -> Person:
    if not policy.may_create_case(by, unit):
        raise PermissionDenied
    person = Person(unit=unit, **fields)
    person.full_clean()
    person.save()
    return person


@transaction.atomic
def person_update(*, person: Person, by, **fields) -> Person:
    if not policy.decide_person(by, policy.Action.CHANGE_PERSON, person):
        raise PermissionDenied
    for name, value in fields.items():
        setattr(person, name, value)
    person.full_clean()
    person.save()
    return person


@transaction.atomic
def guardian_add(*, person: Person, by, **fields) -> Guardian:
    if not policy.decide_person(by, policy.Action.CHANGE_PERSON, person):
        raise PermissionDenied
    guardian = Guardian(person=person, **fields)
    guardian.full_clean()
    guardian.save()
    return guardian


@transaction.atomic
def guardian_remove(*, guardian: Guardian, by) -> None:
    if not policy.decide_person(by, policy.Action.CHANGE_PERSON, guardian.person):
        raise PermissionDenied
    guardian.delete()
