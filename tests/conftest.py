"""Shared fixtures: two units with staff of every role, in the healthchecks alice/bob style.

`unit_a` and `unit_b` are fully separate; a user of one must never see anything of the other.
"""

import importlib
from datetime import date
from html.parser import HTMLParser

import pytest
from django.apps import apps as django_apps

from insats.cases import services as case_services
from insats.organisations.models import Membership, Organisation, Role, User
from insats.organisations.services import unit_create
from insats.people.models import Person
from insats.people.personnummer import luhn_check_digit
from insats.staffsafety.models import SafetyChecklistItem

PASSWORD = "test-password-123"


def restore_template_lists() -> None:
    """Re-run the data migrations that seed the configuration templates (idempotent).

    A transactional test (the browser tests, live server) empties every table when it ends,
    migration data included; later tests in the same xdist worker need the templates back,
    because every new unit copies them. The loaders run only when the last one's rows are
    missing: a flush empties every table at once, and one query is far cheaper than the
    loaders' hundred get_or_create calls before every test.
    """
    if SafetyChecklistItem.objects.filter(unit__isnull=True).exists():
        return
    for name in (
        "insats.organisations.migrations.0002_default_lists",
        "insats.organisations.migrations.0004_life_area_categories",
        "insats.organisations.migrations.0006_practical_matters",
        "insats.risk.migrations.0002_savry",
        "insats.staffsafety.migrations.0002_default_items",
    ):
        importlib.import_module(name).load(django_apps, None)


@pytest.fixture(autouse=True)
def template_lists(request):
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db"}:
        return
    transactional = "transactional_db" in names or (marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    restore_template_lists()


def make_number(birth: date, serial: int = 123) -> str:
    """A made-up 12-digit identity number with a correct check digit."""
    short = f"{birth:%y%m%d}{serial:03d}"
    return f"{birth:%Y%m%d}{serial:03d}{luhn_check_digit(short)}"


def make_user(username: str, organisation: Organisation, role: str, **membership) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        first_name=username.capitalize(),
        last_name="Testsson",
    )
    Membership.objects.create(user=user, organisation=organisation, role=role, **membership)
    return user


class World:
    """A unit with its organisations and one user per role."""

    def __init__(self, name: str):
        restore_template_lists()  # for unittest-style (hypothesis) tests the fixture misses
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
        self.supervisor = make_user(f"{prefix}-chef", self.social, Role.SUPERVISOR, may_decide=True)
        self.supervisor_without_delegation = make_user(
            f"{prefix}-arbetsledare", self.social, Role.SUPERVISOR
        )
        self.partner = make_user(f"{prefix}-polis", self.police, Role.PARTNER)
        self.leadership = make_user(f"{prefix}-ledning", self.social, Role.LEADERSHIP)
        self.analyst = make_user(f"{prefix}-analytiker", self.social, Role.ANALYST)
        self.administrator = make_user(f"{prefix}-admin", self.social, Role.ADMINISTRATOR)

    def person(
        self, first="Testa", last="Personsson", birth=date(2009, 3, 14), serial=123, **fields
    ) -> Person:
        return Person.objects.create(
            unit=self.unit,
            first_name=first,
            last_name=last,
            identity_number=make_number(birth, serial),
            number_kind="personnummer",
            birth_date=birth,
            **fields,
        )

    def case(self, person: Person | None = None, age: int = 16, **fields):
        fields.setdefault("coordinator", self.coordinator)
        return case_services.case_create_intake(
            unit=self.unit,
            created_by=self.coordinator,
            person=person,
            age=age,
            source="police",
            **fields,
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


class FormReader(HTMLParser):
    """Collects what a browser would submit again: input values, checked boxes, selections."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def _add(self, name, value):
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value", "on"))
            elif kind not in ("submit", "button"):
                self._add(name, attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._add(name, "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self._add(self._select, attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][-1] += data
