"""The yearly district checklist: eight yes/no questions with a note each, one row per unit and
year; this year by default, earlier years by ?ar= and listed with their yes-counts."""

from datetime import date

import pytest
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.meetings.models import DistrictChecklist
from insats.organisations.models import Membership, Role
from tests.conftest import FormReader

CHECKLIST = "/samverkan/checklista/"
CODES = [code for code, _question in DistrictChecklist.QUESTIONS]


def form_values(response) -> dict[str, str]:
    reader = FormReader()
    reader.feed(response.content.decode())
    return {name: values[-1].removeprefix("\n") for name, values in reader.values.items()}


def answers(yes: int, **notes) -> dict:
    """A POST body: the first `yes` questions answered yes, the rest no."""
    data = {}
    for index, code in enumerate(CODES):
        data[code] = "yes" if index < yes else "no"
        data[f"{code}_note"] = notes.get(code, "")
    return data


@pytest.fixture
def frozen(monkeypatch):
    real = timezone.localdate

    def freeze(day):
        def localdate(value=None, timezone=None):
            return day if value is None else real(value, timezone)

        monkeypatch.setattr("django.utils.timezone.localdate", localdate)

    return freeze


def test_the_eight_questions_are_asked_with_yes_no_and_a_note(unit_a, login):
    response = login(unit_a.coordinator).get(CHECKLIST)
    assert response.status_code == 200
    body = response.content.decode()
    year = timezone.localdate().year
    assert f"Checklista för stadsdelen {year}" in body
    for number, (_code, question) in enumerate(DistrictChecklist.QUESTIONS, start=1):
        assert f"<legend>{number}. {question}" in body
    assert body.count('type="radio"') == 16
    assert body.count("<textarea") == 8
    assert 'for="id_forum_note"' in body  # every note has its label
    assert "Checklistan är inte ifylld för det här året ännu." in body


def test_saving_creates_and_then_updates_this_years_row(unit_a, login, frozen):
    frozen(date(2026, 5, 4))
    client = login(unit_a.coordinator)
    response = client.post(CHECKLIST, answers(5, forum="Styrgruppen möts varje kvartal."))
    assert response.status_code == 302
    assert response.url == f"{CHECKLIST}?enhet={unit_a.unit.pk}&ar=2026"
    row = DistrictChecklist.objects.get()
    assert (row.unit, row.year, row.answered_by) == (unit_a.unit, 2026, unit_a.coordinator)
    assert row.answers["forum"] == {"yes": True, "note": "Styrgruppen möts varje kvartal."}
    assert row.answers["competence"] == {"yes": False, "note": ""}

    values = form_values(client.get(CHECKLIST))
    assert values["forum"] == "yes" and values["competence"] == "no"
    assert values["forum_note"] == "Styrgruppen möts varje kvartal."
    values["competence"] = "yes"
    assert client.post(CHECKLIST, values).status_code == 302
    row = DistrictChecklist.objects.get()  # still one row for the year
    assert row.answers["competence"]["yes"] is True
    assert row.answers["forum"]["note"] == "Styrgruppen möts varje kvartal."
    actions = list(
        AccessLogEntry.objects.filter(object_type="district_checklist")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "view", "change"]


def test_earlier_years_stay_and_are_listed_with_their_yes_counts(unit_a, login, frozen):
    frozen(date(2026, 5, 4))
    client = login(unit_a.supervisor)
    assert client.post(f"{CHECKLIST}?ar=2024", answers(3)).status_code == 302
    assert client.post(f"{CHECKLIST}?ar=2025", answers(6)).status_code == 302
    assert client.post(CHECKLIST, answers(8)).status_code == 302
    rows = {row.year: row for row in DistrictChecklist.objects.all()}
    assert set(rows) == {2024, 2025, 2026}
    # This year's save left the earlier years alone.
    assert sum(a["yes"] for a in rows[2024].answers.values()) == 3

    response = client.get(CHECKLIST)
    history = {row["checklist"].year: row["yes"] for row in response.context["history"]}
    assert history == {2026: 8, 2025: 6, 2024: 3}
    body = response.content.decode()
    assert "6 av 8" in body and "3 av 8" in body
    assert f"?enhet={unit_a.unit.pk}&amp;ar=2024" in body

    response = client.get(f"{CHECKLIST}?ar=2024")
    assert "Checklista för stadsdelen 2024" in response.content.decode()
    assert "Du ser checklistan för 2024." in response.content.decode()
    values = form_values(response)
    assert [values[code] for code in CODES] == ["yes"] * 3 + ["no"] * 5

    # Overview: this year's status.
    body = client.get("/samverkan/").content.decode()
    assert "8 av 8 frågor besvarade med ja." in body


@pytest.mark.parametrize("year", ["2027", "1999", "abc", "2026.0"])
def test_future_or_invalid_years_are_not_found(unit_a, login, frozen, year):
    frozen(date(2026, 5, 4))
    client = login(unit_a.coordinator)
    assert client.get(f"{CHECKLIST}?ar={year}").status_code == 404
    assert client.post(f"{CHECKLIST}?ar={year}", answers(8)).status_code == 404
    assert not DistrictChecklist.objects.exists()


def test_a_missing_answer_is_explained_and_the_input_kept(unit_a, login):
    client = login(unit_a.coordinator)
    data = answers(4, situation="Lägesbilden är från 2023.")
    del data["leadership"]
    response = client.post(CHECKLIST, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Svara ja eller nej." in body
    assert 'href="#id_leadership_0"' in body  # the error summary leads to the question
    values = form_values(response)
    assert values["situation_note"] == "Lägesbilden är från 2023."
    assert values["forum"] == "yes" and values["competence"] == "no"
    assert "leadership" not in values
    assert not DistrictChecklist.objects.exists()


@pytest.mark.parametrize("role", ["partner", "leadership", "analyst", "administrator"])
def test_only_the_units_staff_see_the_checklist(unit_a, login, role):
    client = login(getattr(unit_a, role))
    assert client.get(CHECKLIST).status_code == 404
    assert client.post(CHECKLIST, answers(8)).status_code == 404
    assert not DistrictChecklist.objects.exists()


def test_units_are_kept_apart(unit_a, unit_b, login):
    client = login(unit_a.coordinator)
    client.post(CHECKLIST, answers(2, forum="Alfas anteckning"))
    other = login(unit_b.coordinator)
    response = other.get(f"{CHECKLIST}?enhet={unit_a.unit.pk}")
    assert response.status_code == 200
    assert "Alfas anteckning" not in response.content.decode()
    assert response.context["unit"] == unit_b.unit
    assert response.context["history"] == []

    # Someone in both units picks the unit; each keeps its own row for the year.
    Membership.objects.create(
        user=unit_b.coordinator, organisation=unit_a.social, role=Role.COORDINATOR
    )
    response = other.get(f"{CHECKLIST}?enhet={unit_a.unit.pk}")
    assert "Alfas anteckning" in response.content.decode()
    other.post(f"{CHECKLIST}?enhet={unit_b.unit.pk}", answers(7))
    counts = dict(DistrictChecklist.objects.values_list("unit__name", "year"))
    assert set(counts) == {unit_a.unit.name, unit_b.unit.name}
    assert len(DistrictChecklist.objects.filter(unit=unit_a.unit)) == 1
    entry = AccessLogEntry.objects.filter(
        user=unit_b.coordinator, object_type="district_checklist", action="create"
    ).get()
    assert entry.unit_id == unit_b.unit.pk


def test_the_page_shows_what_insats_knows_of_safety_talks_and_competence(unit_a, login):
    """Operative staff: two coordinators and an investigator. One signed talk this year, one
    last year and one unsigned draft (neither counted); one coordinator meets every
    requirement."""
    from datetime import timedelta

    from insats.staffsafety import selectors as safety
    from insats.staffsafety import services as safety_services
    from insats.staffsafety.models import CompetenceItem

    unit = unit_a.unit
    safety_services.unit_copy_template_items(unit=unit)
    today = timezone.localdate()
    for employee, held_on, sign in (
        (unit_a.coordinator, today, True),
        (unit_a.investigator, today.replace(month=1, day=1) - timedelta(days=1), True),
        (unit_a.coordinator2, today, False),
    ):
        talk = safety_services.talk_create(
            unit=unit,
            by=unit_a.supervisor,
            employee=employee,
            held_on=held_on,
            manager=unit_a.supervisor,
            items=[
                {"item": item, "gone_through": True, "comment": ""}
                for item in safety.checklist_items(unit.pk)
            ],
        )
        if sign:
            safety_services.talk_sign(talk=talk, by=unit_a.supervisor)
    safety_services.competence_save(
        unit=unit,
        coordinator=unit_a.coordinator2,
        by=unit_a.supervisor,
        rows=[
            {"item": item, "met_on": today, "note": ""}
            for item in CompetenceItem.objects.filter(unit=unit, active=True)
        ],
    )
    body = login(unit_a.coordinator).get(CHECKLIST).content.decode()
    year = today.year
    assert f"Undertecknade säkerhetssamtal under {year}: 1 av 3 operativa medarbetare." in body
    assert "Kompetenskraven uppfyllda: 1 av 2 lotsar." in body
