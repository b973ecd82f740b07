"""Shared fixtures: two units with staff of every role, in the healthchecks alice/bob style.

`unit_a` and `unit_b` are fully separate; a user of one must never see anything of the other.
"""

from datetime import date

import pytest

from insats.cases import services as case_services
from insats.organisations.models import Membership, Organisation, Role, User
from insats.organisations.services import unit_create
from insats.people.models import Person
from insats.people.personnummer import luhn_check_digit

PASSWORD = "test-password-123"


def make_number(birth: date, serial: int = 123) -> str:
    """A made-up 12-digit identity number with a correct check digit."""
    short = f"{birth:%y%m%d}{serial:03d}"
    return f"{birth:%Y%m%d}{serial:03d}{luhn_check_digit(short)}"


def make_user(username: str, organisation: Organisation, role: str, **membership) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, first_name=username.capitalize(),
        last_name="Testsson",
    )
    Membership.objects.create(user=user, organisation=organisation, role=role, **membership)
    return user


class World:
    """A unit with its organisations and one user per role."""

    def __init__(self, name: str):
        self.unit = unit_create(name=name, municipality="Testkommun")
        self.social = Organisation.objects.create(
            unit=self.unit, name=f"Socialtjänsten {name}", kind=Organisation.Kind.SOCIAL_SERVICES
        )
        self.police = Organisation.objects.create(
            unit=self.unit, name=f"Polisen {name}", kind=Organisation.Kind.POLICE
        )
        self.school = Organisation.objects.create(
            unit=self.unit, name=f"Skolan {name}", kind=Organisation.Kind.SCHOOL
        )
        prefix = name.lower()
        self.coordinator = make_user(f"{prefix}-lots", self.social, Role.COORDINATOR)
        self.coordinator2 = make_user(f"{prefix}-lots2", self.social, Role.COORDINATOR)
        self.investigator = make_user(f"{prefix}-utredare", self.social, Role.INVESTIGATOR)
        self.supervisor = make_user(
            f"{prefix}-chef", self.social, Role.SUPERVISOR, may_decide=True
        )
        self.supervisor_without_delegation = make_user(
            f"{prefix}-arbetsledare", self.social, Role.SUPERVISOR
        )
        self.partner = make_user(f"{prefix}-polis", self.police, Role.PARTNER)
        self.leadership = make_user(f"{prefix}-ledning", self.social, Role.LEADERSHIP)
        self.analyst = make_user(f"{prefix}-analytiker", self.social, Role.ANALYST)
        self.administrator = make_user(f"{prefix}-admin", self.social, Role.ADMINISTRATOR)

    def person(self, first="Testa", last="Personsson", birth=date(2009, 3, 14), serial=123,
               **fields) -> Person:
        return Person.objects.create(
            unit=self.unit, first_name=first, last_name=last,
            identity_number=make_number(birth, serial), number_kind="personnummer",
            birth_date=birth, **fields,
        )

    def case(self, person: Person | None = None, age: int = 16, **fields):
        fields.setdefault("coordinator", self.coordinator)
        return case_services.case_create_intake(
            unit=self.unit, created_by=self.coordinator, person=person, age=age,
            source="police", **fields,
        )


@pytest.fixture
def unit_a(db) -> World:
    return World("Alfa")


@pytest.fixture
def unit_b(db) -> World:
    return World("Beta")


@pytest.fixture
def login(client):
    """Log the test client in as a user and return the client."""

    def do(user):
        client.force_login(user)
        return client

    return do
