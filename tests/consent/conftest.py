"""Local fixtures for the consent tests: people of a given age, consents, group members, forms."""

from datetime import date, timedelta
from html.parser import HTMLParser
from io import BytesIO

import pytest
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.cases.models import CaseMember
from insats.consent import services
from insats.organisations.models import InformationCategory
from insats.people.models import Guardian


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


class _FormReader(HTMLParser):
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


@pytest.fixture
def form_values():
    """Field name → every value the re-rendered page would submit again (lists, in order)."""

    def read(response) -> dict[str, list[str]]:
        reader = _FormReader()
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
