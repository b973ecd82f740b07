"""The export page and its downloads: who reaches them, what they log, what they never show.

Only the central analyst (an analyst role in the unit) exports, and only their own units;
everyone else gets 404. A download is a POST; each one writes one EXPORT entry per unit with
its parameters and never a case. Invalid input and too small a selection release and log
nothing. Neither file nor page carries a name, identity number, alias, case number or free
text — scanned for every such string in the data.
"""

from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from insats.access.models import AccessLogEntry
from insats.cases.lifecycle import State
from insats.cases.models import Case, CaseMember, CaseTransition
from insats.casework.models import Placement
from insats.consent.models import Consent
from insats.decisions.models import CaseDecision, FollowUpAssessment, FollowUpRating
from insats.organisations.models import DischargeReason, LifeArea, Membership, Role, User
from insats.people.models import Guardian

URL = "/statistik/export/"
TERTIAL_1_2025 = {"period": "tertial", "year": "2025", "number": "1"}


def at(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=timezone.get_default_timezone())


def intake(world, day=date(2025, 2, 10), *, person=None, age=16) -> Case:
    case = world.case(person=person, age=age)
    Case.objects.filter(pk=case.pk).update(created_at=at(day))
    CaseTransition.objects.filter(case=case).update(at=at(day))
    case.refresh_from_db()
    return case


def exports() -> list[AccessLogEntry]:
    return list(
        AccessLogEntry.objects.filter(action="export", object_type="statistics_export").order_by(
            "pk"
        )
    )


def post(client, unit, fmt="csv", **data):
    enhet = unit if isinstance(unit, str) else str(unit.pk)
    values = {"enhet": enhet, **TERTIAL_1_2025, "format": fmt, "ladda_ned": "1", **data}
    return client.post(URL, {k: v for k, v in values.items() if v is not None})


def content(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def xlsx_cells(data: bytes) -> dict[str, list[list]]:
    workbook = load_workbook(BytesIO(data), read_only=True)
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in workbook.worksheets
    }


def analyst_of(*worlds, name="central-analytiker") -> User:
    user = User.objects.create_user(username=name, password="x-password-123")
    for world in worlds:
        Membership.objects.create(user=user, organisation=world.social, role=Role.ANALYST)
    return user


# --- Who reaches it ---------------------------------------------------------------------------


def test_the_analyst_sees_the_form_codebook_and_formats(unit_a, login):
    assert reverse("statistics_export") == URL
    response = login(unit_a.analyst).get(URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'method="post"' in body
    for name in ("case_key", "intake_month", "age_band", "area_housing_first", "income_second"):
        assert f"<code>{name}</code>" in body
    assert 'value="csv"' in body and 'value="xlsx"' in body
    assert "Du har inte exporterat något underlag ännu." in body


def test_the_statistics_page_link_fills_in_the_form(unit_a, login):
    query = {"enhet": unit_a.unit.pk, "period": "half", "year": 2025, "number": 2}
    response = login(unit_a.analyst).get(URL, query)
    form = response.context["form"]
    assert form.is_valid()
    assert form.chosen_period.start == date(2025, 7, 1)
    assert form.chosen_units == [unit_a.unit]
    assert not exports()  # looking is not exporting


@pytest.mark.parametrize(
    "role",
    [
        "coordinator",
        "investigator",
        "supervisor",
        "supervisor_without_delegation",
        "partner",
        "leadership",
        "administrator",
    ],
)
def test_everyone_but_the_analyst_gets_404(unit_a, login, role):
    for _ in range(5):
        intake(unit_a)
    client = login(getattr(unit_a, role))

    assert client.get(URL).status_code == 404
    assert post(client, unit_a.unit).status_code == 404
    assert post(client, "alla").status_code == 404
    assert not exports()


def test_a_superuser_without_the_analyst_role_gets_404(unit_a, client):
    for _ in range(5):
        intake(unit_a)
    root = User.objects.create_superuser("root", "root@example.org", "x-password-123")
    client.force_login(root)
    assert client.get(URL).status_code == 404
    assert post(client, unit_a.unit).status_code == 404
    assert not exports()


def test_another_units_analyst_cannot_export_this_unit(unit_a, unit_b, login):
    for _ in range(5):
        intake(unit_a)
    client = login(unit_b.analyst)

    response = post(client, unit_a.unit)

    assert response.status_code == 200
    assert "Content-Disposition" not in response
    assert response.context["form"].errors["enhet"]
    assert not exports()
    # With one unit of their own, B's analyst has no "all my units" to smuggle A into.
    response = post(client, "alla")
    assert response.status_code == 200
    assert "Content-Disposition" not in response
    assert response.context["form"].errors["enhet"]
    assert not exports()


# --- Downloads and their log ------------------------------------------------------------------


def test_csv_download_is_an_attachment_and_logged_once_per_unit(unit_a, unit_b, login):
    for _ in range(5):
        intake(unit_a)
    for _ in range(3):
        intake(unit_b)
    analyst = analyst_of(unit_a, unit_b)

    response = post(login(analyst), "alla")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == 'attachment; filename="insats-uppfoljning-2025-T1.csv"'
    )
    assert response["Cache-Control"] == "no-store"
    text = content(response).decode("utf-8")
    assert text.startswith("\ufeffcase_key;unit;")
    assert len(text.strip().split("\r\n")) == 1 + 8

    entries = exports()
    assert sorted(entry.unit_id for entry in entries) == sorted([unit_a.unit.pk, unit_b.unit.pk])
    units = ",".join(str(pk) for pk in sorted([unit_a.unit.pk, unit_b.unit.pk]))
    for entry in entries:
        assert entry.user == analyst
        assert entry.case_id is None and entry.person_id is None and entry.object_id == ""
        params = dict(part.split("=", 1) for part in entry.detail.split())
        assert set(params) == {"export", "period", "format", "rows", "k", "units"}
        assert params["period"] == "2025-T1"
        assert params["format"] == "csv"
        assert params["rows"] == "8"
        assert params["k"] == "5"
        assert params["units"] == units
    assert entries[0].detail == entries[1].detail


def test_xlsx_download_has_headers_machine_names_and_a_codebook(unit_a, login):
    for _ in range(6):
        intake(unit_a)

    response = post(login(unit_a.analyst), unit_a.unit, fmt="xlsx", period="year", number=None)

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="insats-uppfoljning-2025.xlsx"' in response["Content-Disposition"]
    sheets = xlsx_cells(content(response))
    assert list(sheets) == ["Data", "Kodbok"]
    data = sheets["Data"]
    assert data[0][:3] == ["Ärendenyckel", "Enhet", "Aktualiseringsmånad"]
    assert data[1][:3] == ["case_key", "unit", "intake_month"]
    assert len(data) == 2 + 6
    assert {row[2] for row in data[2:]} == {"2025-02"}
    codebook = sheets["Kodbok"]
    assert codebook[0] == ["Kolumn", "Rubrik", "Beskrivning"]
    assert [row[0] for row in codebook[1 : len(data[1]) + 1]] == data[1]
    parameters = {row[0]: row[1] for row in codebook if row and len(row) > 1}
    assert parameters["Enheter"] == "Alfa"
    assert parameters["Minsta gruppstorlek (k)"] == "5"
    assert parameters["Mottagare"] == unit_a.analyst.username
    assert parameters["Antal rader"] == "6"
    (entry,) = exports()
    assert "format=xlsx" in entry.detail and "period=2025 " in entry.detail


def test_the_page_lists_the_users_own_last_ten_exports(unit_a, login):
    for _ in range(5):
        intake(unit_a)
    other = analyst_of(unit_a)
    post(login(other), unit_a.unit, fmt="xlsx")
    client = login(unit_a.analyst)
    for _ in range(10):
        post(client, unit_a.unit)
    post(client, unit_a.unit, fmt="xlsx", period="half", number="1")

    response = client.get(URL)

    history = response.context["history"]
    assert len(history) == 10
    assert history[0]["period"] == "2025-H1"
    assert history[0]["format"] == "XLSX"
    assert history[0]["rows"] == "5"
    assert history[0]["units"] == "Alfa"
    assert all(item["format"] == "CSV" for item in history[1:])  # not the other analyst's
    assert "2025-H1" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"year": "1999"}, "year"),
        ({"period": "custom"}, None),
        ({"period": "custom", "start": "2025-03-01", "end": "2025-01-01"}, "end"),
        ({"period": "custom", "start": "0001-01-01", "end": "2025-01-31"}, "start"),
        ({"period": "custom", "start": "2025-01-01", "end": "9999-12-31"}, "end"),
        ({"period": "half", "number": "3"}, "number"),
        ({"period": "weekly"}, "period"),
        ({"format": None}, "format"),
        ({"format": "pdf"}, "format"),
    ],
)
def test_invalid_parameters_show_the_form_and_log_nothing(unit_a, login, data, field):
    for _ in range(5):
        intake(unit_a)

    response = post(login(unit_a.analyst), unit_a.unit, **data)

    assert response.status_code == 200
    assert "Content-Disposition" not in response
    assert "Det finns fel i formuläret" in response.content.decode()
    forms = [response.context["form"], response.context["format_form"]]
    errors = {name for form in forms for name in form.errors}
    assert errors == {field or "__all__"}
    assert not exports()


def test_too_few_cases_are_refused_with_a_message(unit_a, login):
    for _ in range(4):
        intake(unit_a)

    response = post(login(unit_a.analyst), unit_a.unit)

    assert response.status_code == 200
    assert "Content-Disposition" not in response
    body = response.content.decode()
    assert "För få ärenden för att lämna ut" in body
    assert not exports()


def test_a_large_xlsx_is_refused_in_favour_of_csv(unit_a, login, monkeypatch):
    from insats.reporting import views_export

    monkeypatch.setattr(views_export, "XLSX_MAX_ROWS", 5)
    for _ in range(6):
        intake(unit_a)
    client = login(unit_a.analyst)

    with CaptureQueriesContext(connection) as queries:
        refused = post(client, unit_a.unit, fmt="xlsx")
    assert refused.status_code == 200 and "Content-Disposition" not in refused
    assert "Underlaget har 6 rader. Välj CSV för så stora uttag" in refused.content.decode()
    # Refused on a count, before the data set (follow-ups, placements …) is read.
    assert not any("decisions_followupassessment" in q["sql"] for q in queries.captured_queries)
    assert not exports()
    assert "attachment" in post(client, unit_a.unit, fmt="csv")["Content-Disposition"]


def test_the_export_runs_a_constant_number_of_queries(unit_a, login):
    client = login(unit_a.analyst)
    areas = list(LifeArea.objects.filter(unit=unit_a.unit)[:3])

    def add(count):
        for _ in range(count):
            case = intake(unit_a)
            CaseDecision.objects.create(
                case=case,
                kind="enrol",
                outcome=True,
                decided_on=date(2025, 3, 1),
                reasons="Ok.",
                decided_by=unit_a.supervisor,
            )
            Consent.objects.create(
                case=case,
                place="X",
                signed_on=date(2025, 2, 11),
                valid_from=date(2025, 2, 11),
                valid_until=date(2026, 2, 11),
                officer_name="Y",
                officer_phone="1",
                officer_organisation=unit_a.social,
                recorded_by=unit_a.coordinator,
            )
            for kind in ("first", "second"):
                assessment = FollowUpAssessment.objects.create(
                    case=case,
                    kind=kind,
                    assessed_on=date(2025, 3, 1),
                    occupation="work",
                    housing="own",
                    substance_use="none",
                    criminal_network="none",
                    income="salary",
                    recorded_by=unit_a.coordinator,
                )
                FollowUpRating.objects.bulk_create(
                    FollowUpRating(assessment=assessment, life_area=area, rating=3)
                    for area in areas
                )
            Placement.objects.create(
                case=case,
                kind="hvb",
                provider="Z",
                starts_on=date(2025, 1, 1),
                daily_cost=Decimal(100),
                recorded_by=unit_a.coordinator,
            )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = post(client, unit_a.unit)
            body = content(response)
        assert response.status_code == 200 and body.count(b"\r\n") > 1
        return len(captured)

    add(5)
    queries()  # the first entry ever also creates the access log's head row
    few = queries()
    add(35)
    assert queries() == few


# --- No personal data anywhere ----------------------------------------------------------------

# Made-up people and texts, each distinctive enough that a hit can only be a leak.
PEOPLE = [
    ("Zyrkon", "Qvarnfjäll"),
    ("Ylvina", "Brunkeberg"),
    ("Torgny", "Vattholma"),
    ("Oskaria", "Fjällsippa"),
    ("Mirjam", "Lövskatan"),
    ("Edvardo", "Hjortronmyr"),
]
TEXTS = {
    "intake_basis": "Inbrott i Glimmerdalens kiosk",
    "source_detail": "Fältassistent Rönnbacka",
    "reason": "Motiverad av samtal på Kvistbro fritidsgård",
    "summary": "Flyttat till moster i Ängsbyn",
    "decision": "Beviljas efter samråd med Ekbacka skola",
    "follow_up": "Praktik på Sörby bageri",
    "rating": "Bor hos morbror Alrik",
    "member": "Tränaren Gustaf Klöverhed",
    "guardian": "Margit Smultronstig",
    "provider": "Tallåsens behandlingshem",
    "officer": "Handläggare Vendela Pilgrim",
}


def personal_data(world) -> tuple[list[Case], set[str]]:
    """Six identified cases full of personal data and free text; and every such string."""
    reason = DischargeReason.objects.get(unit=world.unit, code="moved")
    area = LifeArea.objects.get(unit=world.unit, code="housing")
    cases, strings = [], set(TEXTS.values())
    for index, (first, last) in enumerate(PEOPLE):
        birth = date(2009, 5, 10 + index)
        person = world.person(
            first=first,
            last=last,
            birth=birth,
            serial=300 + index,
            street_address=f"Gläntvägen {index + 11}",
            phone=f"070-555 12 3{index}",
            email=f"{first.lower()}@example.org",
        )
        Guardian.objects.create(person=person, name=f"{TEXTS['guardian']} {index}")
        case = intake(world, person=person)
        alias = f"Kodnamn Blåvinge {index}"
        Case.objects.filter(pk=case.pk).update(
            alias=alias,
            intake_basis=TEXTS["intake_basis"],
            source_detail=TEXTS["source_detail"],
        )
        CaseMember.objects.create(
            case=case, name=TEXTS["member"], added_by=world.coordinator, function="Tränare"
        )
        decision = CaseDecision.objects.create(
            case=case,
            kind="enrol",
            outcome=True,
            decided_on=date(2025, 3, 3),
            reasons=TEXTS["decision"],
            motivation=TEXTS["decision"],
            decided_by=world.supervisor,
        )
        assert decision.pk
        Consent.objects.create(
            case=case,
            place="Ängsbyn",
            signed_on=date(2025, 2, 12),
            valid_from=date(2025, 2, 12),
            valid_until=date(2026, 2, 12),
            officer_name=TEXTS["officer"],
            officer_phone="08-777 66 55",
            officer_organisation=world.social,
            person_signed=True,
            recorded_by=world.coordinator,
        )
        assessment = FollowUpAssessment.objects.create(
            case=case,
            kind="first",
            assessed_on=date(2025, 3, 3),
            occupation="measure",
            housing="family",
            substance_use="none",
            criminal_network="occasional",
            income="benefit",
            note=TEXTS["follow_up"],
            recorded_by=world.coordinator,
        )
        FollowUpRating.objects.create(
            assessment=assessment, life_area=area, rating=4, note=TEXTS["rating"]
        )
        Placement.objects.create(
            case=case,
            kind="hvb",
            provider=TEXTS["provider"],
            starts_on=date(2025, 1, 15),
            ends_on=date(2025, 2, 15),
            daily_cost=Decimal("4200"),
            recorded_by=world.coordinator,
        )
        transition = CaseTransition.objects.create(
            case=case,
            from_state=State.IMPLEMENTATION,
            to_state=State.DISCHARGED,
            by=world.coordinator,
            reason=TEXTS["reason"],
            discharge_reason=reason,
            summary=TEXTS["summary"],
        )
        CaseTransition.objects.filter(pk=transition.pk).update(at=at(date(2025, 4, 2)))
        case.refresh_from_db()
        cases.append(case)
        number = person.identity_number
        strings |= {
            first,
            last,
            person.full_name,
            number,
            number[2:],
            f"{number[:8]}-{number[8:]}",
            f"{number[2:8]}-{number[8:]}",
            person.street_address,
            person.phone,
            person.email,
            alias,
            case.number,
        }
    return cases, strings


def assert_no_personal_data(text: str, strings: set[str], where: str) -> None:
    lowered = text.lower()
    leaked = sorted(s for s in strings if s and s.lower() in lowered)
    assert not leaked, f"{where} shows {leaked}"


def test_no_personal_data_in_either_file_or_on_the_page(unit_a, login):
    cases, strings = personal_data(unit_a)
    client = login(unit_a.analyst)

    csv_response = post(client, unit_a.unit)
    csv_text = content(csv_response).decode("utf-8")
    xlsx_response = post(client, unit_a.unit, fmt="xlsx")
    sheets = xlsx_cells(content(xlsx_response))
    page = client.get(URL).content.decode()

    # The files are there and full: one row per case, with the facts of each.
    lines = csv_text.strip().split("\r\n")
    assert len(lines) == 1 + len(cases)
    assert all(";Flyttat;" in line for line in lines[1:])  # the discharge reason's label
    assert len(sheets["Data"]) == 2 + len(cases)
    assert_no_personal_data(csv_text, strings, "CSV")
    cells = "\n".join(
        str(value) for rows in sheets.values() for row in rows for value in row if value is not None
    )
    assert_no_personal_data(cells + "\n".join(sheets), strings, "XLSX")
    assert_no_personal_data(page, strings, "the export page")
    for entry in exports():
        assert_no_personal_data(entry.detail, strings, "the log")
