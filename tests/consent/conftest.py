"""Local fixtures for the consent tests: people of a given age, consents, group members, forms."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.cases.models import CaseMember
from insats.consent import services
from insats.organisations.models import InformationCategory
from insats.people.models import Guardian
from tests.conftest import FormReader


def birth_for_age(age: int, *, days_past_birthday: int = 40) -> date:
    """A birth date that makes the person exactly `age` today, some weeks past the birthday."""
    day = timezone.localdate() - timedelta(days=days_past_birthday)
    try:
        return day.replace(year=day.year - age)
    except ValueError:  # 29 February
        return day.replace(year=day.year - age, day=28)


class Kit:
    """Makes identified cases with people of a given age, and consents for them."""

    def __init__(self):
        self.serial = 300  # identity-number serials; unique within one test's database

    @staticmethod
    def categories(world, *codes):
        """The unit's active information categories (all of them, or those codes)."""
        qs = InformationCategory.objects.filter(unit=world.unit, active=True)
        if codes:
            qs = qs.filter(code__in=codes)
        return list(qs.order_by("position"))

    def person_case(self, world, *, age=None, birth=None, guardians=(), first="Testa", **fields):
        self.serial += 1
        person = world.person(
            first=first,
            last="Personsson",
            birth=birth or birth_for_age(age),
            serial=self.serial,
        )
        for name in guardians:
            Guardian.objects.create(person=person, name=name, relation="förälder")
        return world.case(person=person, **fields)

    def consent(self, world, case, *, by=None, organisations=None, categories=None, **fields):
        today = timezone.localdate()
        person = case.person
        age = person.age(fields.get("signed_on", today))
        guardians = list(person.guardians.all())
        defaults = {
            "place": "Testköping",
            "signed_on": today,
            "valid_from": today,
            "valid_until": today + timedelta(days=365),
            "officer_name": "Lotta Lotsdotter",
            "officer_phone": "08-123 456 00",
            "officer_organisation": world.social,
            "person_signed": age >= 15,
            "guardians_signed": guardians if age < 18 else [],
        }
        defaults.update(fields)
        return services.consent_create(
            case=case,
            by=by or world.coordinator,
            organisations=organisations if organisations is not None else [world.police],
            categories=categories
            if categories is not None
            else self.categories(world, "health", "criminality"),
            **defaults,
        )

    def partner_member(self, world, case, user=None, organisation=None) -> CaseMember:
        return CaseMember.objects.create(
            case=case,
            user=user or world.partner,
            organisation=organisation or world.police,
            added_by=world.coordinator,
        )


@pytest.fixture
def kit(db) -> Kit:
    return Kit()


@pytest.fixture
def form_values():
    """Field name → every value the re-rendered page would submit again (lists, in order)."""

    def read(response) -> dict[str, list[str]]:
        reader = FormReader()
        reader.feed(response.content.decode())
        return {
            name: [value.removeprefix("\n") for value in values]
            for name, values in reader.values.items()
        }

    return read


@pytest.fixture
def new_log_entries():
    """`since = new_log_entries(); ...; new_log_entries(since)` — entries written in between."""

    def read(since=None):
        last = AccessLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if since is None:
            return last
        return list(AccessLogEntry.objects.filter(pk__gt=since).order_by("pk"))

    return read


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture
def read_pdf():
    return pdf_text
