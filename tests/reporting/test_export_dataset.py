"""The analyst's de-identified data set: which cases, which figures, how coarse, whose keys.

Cases are registered through the intake service and then moved back in time with
queryset.update(), so each test places intake, lifecycle moves, decisions, consents,
assessments and placements on the days it needs. The period is tertial 1 of 2025
(2025-01-01 – 2025-04-30).
"""

import re
from collections import Counter
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.cases.models import Case, CaseTransition
from insats.casework.models import Placement
from insats.consent.models import Consent
from insats.decisions.models import CaseDecision, FollowUpAssessment, FollowUpRating
from insats.organisations.models import DischargeReason, LifeArea, Membership, Role, User
from insats.reporting import anonymity, export, periods

PERIOD = periods.fixed("tertial", 2025, 1)
QI = ("unit", "intake_month", "age_band", "source", "discharge_month")


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_default_timezone())


def intake(world, day: date, *, age: int = 16, source: str = "police", moment=None) -> Case:
    case = case_services.case_create_intake(
        unit=world.unit, created_by=world.coordinator, age=age, source=source
    )
    moment = moment or at(day)
    Case.objects.filter(pk=case.pk).update(created_at=moment)
    CaseTransition.objects.filter(case=case).update(at=moment)
    case.refresh_from_db()
    return case


def move(world, case: Case, to_state: str, day: date, **fields) -> CaseTransition:
    transition = CaseTransition.objects.create(
        case=case,
        from_state=case.state,
        to_state=to_state,
        by=world.supervisor,
        reason="Motivering som aldrig ska exporteras",
        **fields,
    )
    CaseTransition.objects.filter(pk=transition.pk).update(at=at(day))
    Case.objects.filter(pk=case.pk).update(state=to_state)
    case.refresh_from_db()
    return transition


def decide(world, case: Case, day: date, kind=CaseDecision.Kind.ENROL) -> CaseDecision:
    return CaseDecision.objects.create(
        case=case,
        kind=kind,
        outcome=kind == CaseDecision.Kind.ENROL,
        decided_on=day,
        reasons="Beslutsmotivering som aldrig ska exporteras",
        decided_by=world.supervisor,
    )


def give_consent(world, case: Case, day: date) -> Consent:
    consent = Consent.objects.create(
        case=case,
        place="Testköping",
        signed_on=day,
        valid_from=day,
        valid_until=date(day.year + 1, 12, 31),
        officer_name="Handläggare Testsson",
        officer_phone="08-000 00 00",
        officer_organisation=world.social,
        person_signed=True,
        recorded_by=world.coordinator,
    )
    Consent.objects.filter(pk=consent.pk).update(recorded_at=at(day))
    return consent


def assess(world, case: Case, kind: str, day: date, ratings: dict, **indicators):
    values = {
        "occupation": "studies",
        "housing": "family",
        "substance_use": "none",
        "criminal_network": "occasional",
        "income": "family",
        **indicators,
    }
    assessment = FollowUpAssessment.objects.create(
        case=case,
        kind=kind,
        assessed_on=day,
        note="Anteckning som aldrig ska exporteras",
        recorded_by=world.coordinator,
        **values,
    )
    for code, rating in ratings.items():
        FollowUpRating.objects.create(
            assessment=assessment,
            life_area=LifeArea.objects.get(unit=world.unit, code=code),
            rating=rating,
            note="Skattningsanteckning",
        )
    return assessment


def place(world, case: Case, starts_on: date, ends_on: date | None, daily_cost: str):
    return Placement.objects.create(
        case=case,
        kind=Placement.Kind.SIS,
        provider="Behandlingshemmet",
        starts_on=starts_on,
        ends_on=ends_on,
        daily_cost=Decimal(daily_cost),
        recorded_by=world.coordinator,
    )


def rows_of(dataset) -> list[dict]:
    names = [column.name for column in dataset.columns]
    return [dict(zip(names, row, strict=True)) for row in dataset.rows]


def build(world_or_units, recipient, *, period=PERIOD, k=1):
    units = world_or_units if isinstance(world_or_units, list) else [world_or_units.unit]
    return export.build(units=units, period=period, recipient=recipient, k=k)


def analyst_of(*worlds, name="analytiker-2") -> User:
    user = User.objects.create_user(username=name, password="x-password-123")
    for world in worlds:
        Membership.objects.create(user=user, organisation=world.social, role=Role.ANALYST)
    return user


# --- Which cases ------------------------------------------------------------------------------


def test_only_cases_open_during_the_period_of_the_chosen_units(unit_a, unit_b):
    open_all_period = intake(unit_a, date(2024, 11, 5))
    new_in_period = intake(unit_a, date(2025, 3, 1))
    closed_in_period = intake(unit_a, date(2024, 10, 1))
    move(unit_a, closed_in_period, State.WITHDRAWN, date(2025, 2, 1))
    closed_before = intake(unit_a, date(2024, 10, 1))
    move(unit_a, closed_before, State.WITHDRAWN, date(2024, 12, 31))
    reopened = intake(unit_a, date(2024, 6, 1))
    move(unit_a, reopened, State.DISCHARGED, date(2024, 9, 1))
    move(unit_a, reopened, State.IMPLEMENTATION, date(2025, 4, 30))
    intake(unit_a, date(2025, 5, 1))  # after the period
    intake(unit_b, date(2025, 2, 1))  # another unit

    dataset = build(unit_a, unit_a.analyst)

    key = export.pseudonym_key()
    expected = {open_all_period, new_in_period, closed_in_period, reopened}
    assert {row["case_key"] for row in rows_of(dataset)} == {
        export.case_key(key, unit_a.analyst.pk, case.pk) for case in expected
    }
    states = Counter(row["state_at_period_end"] for row in rows_of(dataset))
    assert states == {"Aktualisering": 2, "Återtagen": 1, "Genomförande": 1}


def test_the_row_holds_the_facts_as_they_stood_at_the_period_end(unit_a):
    case = intake(unit_a, date(2025, 1, 20), age=17, source="municipal")
    move(unit_a, case, State.INVESTIGATION, date(2025, 1, 25))
    give_consent(unit_a, case, date(2025, 2, 3))
    decide(unit_a, case, date(2025, 1, 28), kind=CaseDecision.Kind.CONTINUE_INVESTIGATION)
    decide(unit_a, case, date(2025, 3, 6))  # the first enrolment or decline: 45 days
    decide(unit_a, case, date(2025, 4, 1), kind=CaseDecision.Kind.DECLINE)
    move(unit_a, case, State.ASSIGNMENT, date(2025, 3, 6))
    reason = DischargeReason.objects.get(unit=unit_a.unit, code="goals_met")
    move(unit_a, case, State.DISCHARGED, date(2025, 4, 29), discharge_reason=reason)
    move(unit_a, case, State.IMPLEMENTATION, date(2025, 5, 2))  # after the period: not seen
    assess(unit_a, case, "first", date(2025, 3, 6), {"housing": 2, "economy": 1}, income="none")
    assess(unit_a, case, "second", date(2025, 5, 10), {"housing": 5})  # after the period
    # 2024-12-20 – 2025-01-10 (10 days inside) and 2025-04-25 – open (6 days inside).
    place(unit_a, case, date(2024, 12, 20), date(2025, 1, 10), "10750.00")
    place(unit_a, case, date(2025, 4, 25), None, "1000.40")
    place(unit_a, case, date(2025, 5, 1), None, "99999")  # after the period

    (row,) = rows_of(build(unit_a, unit_a.analyst))

    assert row["unit"] == "Alfa"
    assert row["intake_month"] == "2025-01"
    assert row["age_band"] == "15–17"
    assert row["source"] == "Kommunal verksamhet"
    assert row["state_at_period_end"] == "Utskriven"
    assert row["consent_given"] == "ja"
    assert row["first_decision"] == "Inskrivning och bistånd"
    assert "first_decision_month" not in row  # with the weeks, it would narrow the intake
    assert row["weeks_intake_to_decision"] == 6  # 45 days
    assert row["discharge_month"] == "2025-04"
    assert row["discharge_reason"] == "Målen uppnådda"
    assert row["placement_days_in_period"] == 16
    assert row["placement_cost_in_period"] == 113502  # 107 500 + 6 002.40, whole kronor
    assert row["area_housing_first"] == 2
    assert row["area_economy_first"] == 1
    assert row["area_family_first"] is None
    assert row["area_housing_second"] is None
    assert row["income_first"] == "Ingen känd inkomst"
    assert row["occupation_first"] == "Studier/skola"
    assert row["offences_last_six_months_first"] is None
    assert row["income_second"] is None


def test_a_case_without_decisions_consent_or_follow_up_has_empty_cells(unit_a):
    case = intake(unit_a, date(2025, 2, 14))
    give_consent(unit_a, case, date(2025, 5, 1))  # after the period: not yet given

    (row,) = rows_of(build(unit_a, unit_a.analyst))

    assert row["consent_given"] == "nej"
    assert row["first_decision"] == ""
    assert row["weeks_intake_to_decision"] is None
    assert row["discharge_month"] == ""
    assert row["discharge_reason"] == ""
    assert row["placement_days_in_period"] == 0
    assert row["placement_cost_in_period"] == 0
    assert all(
        value is None
        for name, value in row.items()
        if name.endswith(("_first", "_second")) and name != "first_decision"
    )


def test_months_are_local_stockholm_months(unit_a):
    # 00:30 on 1 February in Stockholm is still 31 January in UTC.
    intake(unit_a, date(2025, 2, 1), moment=at(date(2025, 2, 1), 0, 30))
    # 23:30 on 30 April in Stockholm is inside the period, and April.
    intake(unit_a, date(2025, 4, 30), moment=at(date(2025, 4, 30), 23, 30))

    months = sorted(row["intake_month"] for row in rows_of(build(unit_a, unit_a.analyst)))

    assert months == ["2025-02", "2025-04"]
    assert at(date(2025, 2, 1), 0, 30).astimezone(UTC).month == 1  # the test means it


def test_columns_have_machine_names_swedish_headers_and_descriptions(unit_a):
    intake(unit_a, date(2025, 2, 14))
    columns = build(unit_a, unit_a.analyst).columns
    names = [column.name for column in columns]

    assert names[:13] == [
        "case_key",
        "unit",
        "intake_month",
        "age_band",
        "source",
        "state_at_period_end",
        "consent_given",
        "first_decision",
        "weeks_intake_to_decision",
        "discharge_month",
        "discharge_reason",
        "placement_days_in_period",
        "placement_cost_in_period",
    ]
    assert "area_criminality_first" in names
    assert "area_criminality_second" in names
    assert {
        f"{name}_{kind}" for name in ("housing", "income") for kind in ("first", "second")
    } < set(names)
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9_]+", name) for name in names)
    assert all(column.header and column.description for column in columns)
    by_name = {column.name: column for column in columns}
    assert by_name["area_criminality_first"].header == "Kriminalitet: första bedömningen"
    assert export.codebook([unit_a.unit.pk]) == columns


# --- Ages and months --------------------------------------------------------------------------


def _bounds(band: str) -> tuple[int, float]:
    if band.endswith("+"):
        return int(band[:-1]), float("inf")
    low, high = band.split("–")
    return int(low), int(high)


@pytest.mark.parametrize(
    ("age", "band", "wide"),
    [
        (11, "0–11", "0–17"),
        (12, "12–14", "0–17"),
        (14, "12–14", "0–17"),
        (15, "15–17", "0–17"),
        (17, "15–17", "0–17"),
        (18, "18–20", "18–29"),
        (20, "18–20", "18–29"),
        (21, "21–24", "18–29"),
        (24, "21–24", "18–29"),
        (25, "25–29", "18–29"),
        (29, "25–29", "18–29"),
        (30, "30+", "30+"),
        (61, "30+", "30+"),
    ],
)
def test_age_bands_at_their_edges(age, band, wide):
    assert export.age_band(age) == band
    assert export.age_band(age, wide=True) == wide


@given(st.integers(min_value=0, max_value=120))
@hypothesis_settings(max_examples=200, deadline=None)
def test_every_age_falls_in_its_band_and_its_band_in_the_wide_band(age):
    low, high = _bounds(export.age_band(age))
    wide_low, wide_high = _bounds(export.age_band(age, wide=True))
    assert low <= age <= high
    assert wide_low <= low and high <= wide_high


@pytest.mark.parametrize(
    ("kind", "number", "slug"),
    [("tertial", 2, "2026-T2"), ("half", 1, "2026-H1"), ("year", 1, "2026")],
)
def test_period_slugs_name_the_files(kind, number, slug):
    period = periods.fixed(kind, 2026, number)
    assert export.period_slug(period) == slug
    assert export.filename(period, "csv") == f"insats-uppfoljning-{slug}.csv"
    custom = periods.custom(date(2026, 1, 5), date(2026, 2, 1))  # whole months
    assert export.filename(custom, "xlsx") == "insats-uppfoljning-2026-01-01_2026-02-28.xlsx"


# --- k-anonymity ------------------------------------------------------------------------------


def _month_shape(value: str) -> str:
    for shape, pattern in (
        ("month", r"\d{4}-\d{2}"),
        ("tertial", r"\d{4}-T[123]"),
        ("year", r"\d{4}"),
        ("any", r"\*"),
    ):
        if re.fullmatch(pattern, value):
            return shape
    raise AssertionError(value)


def test_every_published_combination_is_shared_by_at_least_k_rows(unit_a, unit_b):
    # Six alike in A (they keep their month), five spread over tertial 1 of 2025 in A, and a
    # scattering in B that has to be coarsened further.
    for _ in range(6):
        case = intake(unit_a, date(2025, 2, 10), age=16)
        decide(unit_a, case, date(2025, 3, 1))
    for month, age in ((1, 15), (2, 16), (3, 17), (4, 16), (1, 17)):
        case = intake(unit_a, date(2025, month, 3), age=age)
        decide(unit_a, case, date(2025, 4, 20))
    for day, age, source in (
        (date(2024, 3, 1), 19, "self"),
        (date(2024, 8, 1), 23, "police"),
        (date(2025, 1, 9), 31, "returnee"),
        (date(2025, 2, 9), 13, "other_actor"),
        (date(2025, 3, 9), 20, "self"),
        (date(2024, 12, 24), 45, "municipal"),
    ):
        case = intake(unit_b, day, age=age, source=source)
        decide(unit_b, case, date(2025, 4, 2))
    analyst = analyst_of(unit_a, unit_b)

    for k in (3, 5):
        rows = rows_of(build([unit_a.unit, unit_b.unit], analyst, k=k))
        assert len(rows) == 17
        published = Counter(tuple(row[name] for name in QI) for row in rows)
        assert min(published.values()) >= k, published
        for row in rows:
            if row["unit"] == "*":  # the last level: nothing left
                assert set(row[name] for name in QI) == {"*"}
            if row["source"] == "*":  # the source goes before the fine age bands
                assert row["age_band"] in {"0–17", "18–29", "30+", "*"}
        # The six alike keep their detail; nothing else is needlessly thrown away.
        alike = ("Alfa", "2025-02", "15–17", "Polisen", "")
        assert published[alike] >= 6
    shapes = Counter(_month_shape(row["intake_month"]) for row in rows)
    assert shapes["month"] >= 6 and len(shapes) > 1


def test_too_few_cases_are_not_released(unit_a):
    with pytest.raises(export.TooFewCases) as empty:
        build(unit_a, unit_a.analyst, k=5)
    assert empty.value.count == 0
    for _ in range(4):
        intake(unit_a, date(2025, 2, 10))
    with pytest.raises(export.TooFewCases) as few:
        build(unit_a, unit_a.analyst, k=5)
    assert few.value.count == 4
    assert "För få ärenden för att lämna ut" in few.value.message
    intake(unit_a, date(2025, 2, 10))
    assert len(build(unit_a, unit_a.analyst, k=5).rows) == 5


# --- Case keys --------------------------------------------------------------------------------


def test_case_keys_are_stable_per_recipient_and_differ_between_recipients(unit_a, settings):
    cases = [intake(unit_a, date(2024, 12, 1)) for _ in range(3)]
    other = analyst_of(unit_a)

    tertial = build(unit_a, unit_a.analyst)
    year = build(unit_a, unit_a.analyst, period=periods.fixed("year", 2025))
    theirs = build(unit_a, other)

    mine = {row[0] for row in tertial.rows}
    assert mine == {row[0] for row in year.rows}
    assert len(mine) == 3
    assert not mine & {row[0] for row in theirs.rows}
    identifiers = {str(c.pk) for c in cases} | {c.alias for c in cases} | {c.number for c in cases}
    for value in mine:
        assert re.fullmatch(r"[0-9a-f]{16}", value)
        assert value not in identifiers

    settings.EXPORT_PSEUDONYM_KEY = "a-configured-key-for-this-installation"
    assert {row[0] for row in build(unit_a, unit_a.analyst).rows}.isdisjoint(mine)
    settings.EXPORT_PSEUDONYM_KEY = ""
    settings.SECRET_KEY = "another-secret-key-for-this-test-only"
    assert {row[0] for row in build(unit_a, unit_a.analyst).rows}.isdisjoint(mine)


def test_rows_are_ordered_by_key_not_by_intake(unit_a):
    for month in (1, 2, 3, 4):
        intake(unit_a, date(2025, month, 1))
    keys = [row[0] for row in build(unit_a, unit_a.analyst).rows]
    assert keys == sorted(keys)


# --- Files ------------------------------------------------------------------------------------


def test_csv_has_a_bom_machine_names_and_semicolons(unit_a):
    reason = DischargeReason.objects.get(unit=unit_a.unit, code="goals_met")
    DischargeReason.objects.filter(pk=reason.pk).update(label="=HYPERLINK(1)")
    case = intake(unit_a, date(2025, 1, 10))
    move(unit_a, case, State.DISCHARGED, date(2025, 2, 1), discharge_reason=reason)
    dataset = build(unit_a, unit_a.analyst)

    text = b"".join(export.csv_chunks(dataset, batch=1)).decode("utf-8")

    assert text.startswith("\ufeffcase_key;unit;intake_month;")
    lines = text[1:].split("\r\n")
    assert lines[-1] == ""
    assert len(lines) == 3
    assert lines[1].count(";") == len(dataset.columns) - 1
    assert ";'=HYPERLINK(1);" in lines[1]  # a label is never a formula


def test_no_xlsx_cell_is_a_formula_headings_and_codebook_included(unit_a):
    """Item 9: headings are made from the units' own lists too (a life area's label), so they
    are defused like the data: a cell starting with =, +, - or @ gets a leading apostrophe."""
    from io import BytesIO

    from openpyxl import load_workbook

    labels = {"housing": "=HYPERLINK(1)", "economy": "+1", "family": "-1", "leisure": "@SUM(1)"}
    for code, label in labels.items():
        LifeArea.objects.filter(unit=unit_a.unit, code=code).update(label=label, active=True)
    intake(unit_a, date(2025, 1, 10))
    dataset = build(unit_a, unit_a.analyst)

    workbook = load_workbook(BytesIO(export.write_xlsx(dataset).read()))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert cells and not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert not [text for text in texts if text.startswith(("=", "+", "-", "@"))]
    headings = [cell.value for cell in workbook["Data"][1]]
    codebook = [row[1].value for row in workbook["Kodbok"].iter_rows(min_row=2) if len(row) > 1]
    for label in labels.values():
        heading = f"'{label}: första bedömningen"
        assert heading in headings and heading in codebook
    header = b"".join(export.csv_chunks(dataset)).decode("utf-8").split("\r\n")[0]
    assert header.startswith("\ufeffcase_key;")  # machine names, never escaped in practice


facts = st.builds(
    export._Facts,
    unit=st.sampled_from(["Alfa", "Beta", "Gamma"]),
    intake=st.dates(min_value=date(2024, 1, 1), max_value=date(2025, 12, 31)),
    age=st.integers(min_value=10, max_value=40),
    source=st.sampled_from(["Polisen", "Skolan", "Själv"]),
    discharge=st.none() | st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 31)),
)


@given(st.lists(facts, min_size=5, max_size=60), st.integers(min_value=1, max_value=5))
@hypothesis_settings(max_examples=150, deadline=None)
def test_each_row_is_published_at_one_of_its_own_levels(records, k):
    levels = export._levels()
    published = anonymity.generalise(records, levels, k)
    assert min(Counter(published).values()) >= k
    for record, shown in zip(records, published, strict=True):
        own = [level(record) for level in levels]
        assert shown in own
        depth = own.index(shown)
        if depth == len(levels) - 1:
            assert shown == ("*",) * 5
            continue
        # Both dates of the row are cut alike, as its level says.
        date_level = export.LEVELS[depth].dates
        assert shown[1] == export._coarse(record.intake, date_level)
        assert shown[4] == export._coarse(record.discharge, date_level)
