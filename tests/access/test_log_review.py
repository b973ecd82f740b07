"""Log review (SPEC §7): supervisors browse and filter their unit's access log, flag entries for
follow-up and document their reviews; and every case page says why the user may see it.
"""

import re
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from insats.access import log
from insats.access.models import AccessLogEntry, AccessLogFlag, LogReview
from insats.cases.models import CaseMember
from insats.consent import services as consent_services
from insats.organisations.models import InformationCategory

ROW = re.compile(
    r"<tr>\s*<td>(?P<at>[^<]*)</td>\s*<td>(?P<username>[^<]*)</td>\s*<td>(?P<action>[^<]*)</td>"
    r"\s*<td>(?P<object>.*?)</td>\s*<td>(?P<case>.*?)</td>",
    re.S,
)


def rows(page: str) -> list[dict]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    found = []
    for match in ROW.finditer(body):
        row = match.groupdict()
        case = re.search(r"\?case=(\d+)", row["case"])
        row["case"] = int(case.group(1)) if case else None
        found.append(row)
    return found


def count_line(page: str) -> int:
    return int(re.search(r'<p class="result-count" role="status">(\d+) post', page).group(1))


@pytest.fixture
def cases(unit_a, unit_b):
    """Two identified cases in unit A and one in unit B, each opened by its coordinator."""
    made = {}
    for key, world, birth in (
        ("a1", unit_a, date(2008, 1, 11)),
        ("a2", unit_a, date(2007, 2, 12)),
        ("b1", unit_b, date(2008, 3, 13)),
    ):
        person = world.person(first=f"Logga{key.upper()}", birth=birth, serial=500 + birth.day)
        made[key] = world.case(person=person)
    return made


@pytest.fixture
def activity(unit_a, unit_b, cases, login):
    """Real reads by several users of both units."""
    login(unit_a.coordinator).get(f"/arenden/{cases['a1'].pk}/")
    login(unit_a.coordinator2).get(f"/arenden/{cases['a2'].pk}/")
    login(unit_a.investigator).get(f"/arenden/{cases['a1'].pk}/samtycken/blankett.pdf")
    login(unit_b.coordinator).get(f"/arenden/{cases['b1'].pk}/")
    login(unit_b.supervisor).get(f"/arenden/{cases['b1'].pk}/")
    return cases


def record_at(moment: datetime, **fields) -> AccessLogEntry:
    with mock.patch.object(log.timezone, "now", return_value=moment):
        return log.record(**fields)


# --- who may see the log -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["coordinator", "investigator", "partner", "leadership", "analyst", "administrator"]
)
def test_only_supervisors_may_review_the_log(unit_a, login, role):
    client = login(getattr(unit_a, role))
    assert client.get("/logg/").status_code == 404
    assert client.get("/logg/granskningar/ny/").status_code == 404


@pytest.mark.parametrize("role", ["supervisor", "supervisor_without_delegation"])
def test_supervisors_see_their_units_log(unit_a, activity, login, role):
    page = login(getattr(unit_a, role)).get("/logg/?action=view").content.decode()
    shown = rows(page)
    assert {r["username"] for r in shown} == {"alfa-lots", "alfa-lots2"}
    assert {r["case"] for r in shown} == {activity["a1"].pk, activity["a2"].pk}
    assert count_line(page) == len(shown) == 2


def test_the_unfiltered_log_lists_every_entry_and_counts_them(unit_a, activity, login):
    page = login(unit_a.supervisor).get("/logg/").content.decode()
    shown = rows(page)
    assert count_line(page) == len(shown)
    oldest = AccessLogEntry.objects.filter(unit_id=unit_a.unit.pk).order_by("pk").first()
    assert oldest.username in {r["username"] for r in shown}
    assert {"alfa-lots", "alfa-lots2", "alfa-utredare", "alfa-chef"} <= {
        r["username"] for r in shown
    }


def test_entries_about_another_unit_are_never_shown(unit_a, activity, login):
    client = login(unit_a.supervisor)
    page = client.get("/logg/").content.decode()
    assert "beta-" not in page
    assert activity["b1"].pk not in {r["case"] for r in rows(page)}
    by_case = client.get(f"/logg/?case={activity['b1'].pk}").content.decode()
    assert count_line(by_case) == 0
    by_user = client.get("/logg/?username=beta-lots").content.decode()
    assert count_line(by_user) == 0


def test_filter_by_case(unit_a, activity, login):
    page = login(unit_a.supervisor).get(f"/logg/?case={activity['a1'].pk}").content.decode()
    shown = rows(page)
    assert shown
    assert {r["case"] for r in shown} == {activity["a1"].pk}
    assert count_line(page) == AccessLogEntry.objects.filter(case_id=activity["a1"].pk).count()


def test_filter_by_username_ignores_case(unit_a, activity, login):
    page = login(unit_a.supervisor).get("/logg/?username=ALFA-LOTS2").content.decode()
    shown = rows(page)
    assert shown
    assert {r["username"] for r in shown} == {"alfa-lots2"}


def test_filter_by_action(unit_a, activity, login):
    page = login(unit_a.supervisor).get("/logg/?action=print").content.decode()
    shown = rows(page)
    assert len(shown) == 1
    assert shown[0]["action"] == "Skrivit ut"
    assert shown[0]["username"] == "alfa-utredare"


def test_filter_by_date(unit_a, cases, login):
    common = {
        "user": unit_a.coordinator,
        "action": "view",
        "object_type": "case",
        "case": cases["a1"],
    }
    record_at(datetime(2026, 1, 10, 11, 0, tzinfo=UTC), detail="läsning-januari", **common)
    record_at(datetime(2026, 2, 10, 11, 0, tzinfo=UTC), detail="läsning-februari", **common)
    record_at(datetime(2026, 3, 10, 11, 0, tzinfo=UTC), detail="läsning-mars", **common)
    assert log.verify().ok
    client = login(unit_a.supervisor)

    def details(query: str) -> set[str]:
        # action=view leaves out the reviewer's own search entries
        page = client.get(f"/logg/?action=view&{query}").content.decode()
        return {
            d
            for d in ("läsning-januari", "läsning-februari", "läsning-mars")
            if any(d in r["object"] for r in rows(page))
        }

    assert details("start=2026-02-01&end=2026-02-28") == {"läsning-februari"}
    assert details("start=2026-02-10") == {"läsning-februari", "läsning-mars"}
    assert details("end=2026-02-10") == {"läsning-januari", "läsning-februari"}
    assert details("start=2026-01-10&end=2026-01-10") == {"läsning-januari"}


def test_reading_the_log_is_itself_logged(unit_a, login):
    login(unit_a.supervisor).get("/logg/?action=view")
    entry = AccessLogEntry.objects.filter(user=unit_a.supervisor).latest("pk")
    assert entry.action == "search"
    assert entry.object_type == "access_log"
    assert "action=view" in entry.detail


# --- flagging ----------------------------------------------------------------------------------


def _entry_of(user) -> AccessLogEntry:
    return AccessLogEntry.objects.filter(user=user, action="view").latest("pk")


def _fields(entry: AccessLogEntry) -> dict:
    return {f.attname: getattr(entry, f.attname) for f in AccessLogEntry._meta.concrete_fields}


def test_flagging_marks_the_entry_without_changing_it(unit_a, activity, login):
    entry = _entry_of(unit_a.coordinator2)
    before = _fields(entry)
    client = login(unit_a.supervisor)

    response = client.post(
        f"/logg/{entry.pk}/markera/",
        {"note": "Öppnade ärendet utan uppdrag?", "next": f"/logg/?case={activity['a2'].pk}"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/logg/?case={activity['a2'].pk}"
    flag = AccessLogFlag.objects.get(entry=entry)
    assert flag.flagged_by == unit_a.supervisor
    assert flag.note == "Öppnade ärendet utan uppdrag?"
    entry = AccessLogEntry.objects.get(pk=entry.pk)
    assert _fields(entry) == before
    assert log.verify().ok

    page = client.get("/logg/?flagged=on").content.decode()
    shown = rows(page)
    assert len(shown) == 1
    assert shown[0]["username"] == "alfa-lots2"
    assert "Markerad: Öppnade ärendet utan uppdrag?" in page
    assert "Posten är markerad för uppföljning." in page


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/logg/", "//evil.example/logg/", "/arenden/", "javascript:alert(1)"],
)
def test_next_only_redirects_within_the_log(unit_a, activity, login, target):
    entry = _entry_of(unit_a.coordinator)
    response = login(unit_a.supervisor).post(
        f"/logg/{entry.pk}/markera/", {"note": "Stickprov", "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == "/logg/"


def test_a_flag_needs_a_note(unit_a, activity, login):
    entry = _entry_of(unit_a.coordinator)
    client = login(unit_a.supervisor)
    response = client.post(f"/logg/{entry.pk}/markera/", {"note": ""})
    assert response.status_code == 302
    assert not AccessLogFlag.objects.exists()
    assert "Skriv varför posten ska följas upp." in client.get("/logg/").content.decode()


def test_flagging_is_for_the_units_supervisors_only(unit_a, unit_b, activity, login):
    entry_a = _entry_of(unit_a.coordinator)
    assert (
        login(unit_b.supervisor).post(f"/logg/{entry_a.pk}/markera/", {"note": "x"}).status_code
        == 404
    )
    assert (
        login(unit_a.coordinator).post(f"/logg/{entry_a.pk}/markera/", {"note": "x"}).status_code
        == 404
    )
    entry_b = _entry_of(unit_b.coordinator)
    assert (
        login(unit_a.supervisor).post(f"/logg/{entry_b.pk}/markera/", {"note": "x"}).status_code
        == 404
    )
    assert login(unit_a.supervisor).get(f"/logg/{entry_a.pk}/markera/").status_code == 405
    assert not AccessLogFlag.objects.exists()


# --- documented reviews ------------------------------------------------------------------------


def test_a_review_is_documented_and_listed(unit_a, unit_b, login):
    client = login(unit_a.supervisor)
    assert client.get("/logg/granskningar/ny/").status_code == 200
    data = {
        "unit": str(unit_a.unit.pk),
        "performed_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "scope": "Stickprov: fem ärenden, alla användare, oktober.",
        "findings": "Inga avvikelser. En läsning följs upp med lotsen.",
    }
    response = client.post("/logg/granskningar/ny/", data)

    assert response.status_code == 302
    assert response["Location"] == "/logg/"
    review = LogReview.objects.get()
    assert review.unit == unit_a.unit
    assert review.performed_on.isoformat() == data["performed_on"]
    assert review.scope == data["scope"]
    assert review.findings == data["findings"]
    assert review.reviewer == unit_a.supervisor

    page = client.get("/logg/").content.decode()
    listed = page.split("Dokumenterade loggranskningar", 1)[1]
    assert data["scope"] in listed and data["findings"] in listed
    assert unit_a.supervisor.get_full_name() in listed
    assert "Loggranskningen är dokumenterad." in page

    other = login(unit_b.supervisor).get("/logg/").content.decode()
    assert data["scope"] not in other


def test_a_review_for_another_unit_is_refused(unit_a, unit_b, login):
    response = login(unit_a.supervisor).post(
        "/logg/granskningar/ny/",
        {"unit": str(unit_b.unit.pk), "performed_on": "2026-01-15", "scope": "x", "findings": "y"},
    )
    assert response.status_code == 200
    assert "Det finns fel i formuläret" in response.content.decode()
    assert not LogReview.objects.exists()


def test_a_review_needs_scope_and_findings(unit_a, login):
    response = login(unit_a.supervisor).post(
        "/logg/granskningar/ny/",
        {"unit": str(unit_a.unit.pk), "performed_on": "2026-01-15", "scope": "Ett stickprov"},
    )
    assert response.status_code == 200
    assert 'value="2026-01-15"' in response.content.decode()
    assert "Ett stickprov" in response.content.decode()
    assert not LogReview.objects.exists()


def test_coordinators_cannot_document_reviews(unit_a, login):
    response = login(unit_a.coordinator).post(
        "/logg/granskningar/ny/",
        {"unit": str(unit_a.unit.pk), "performed_on": "2026-01-15", "scope": "x", "findings": "y"},
    )
    assert response.status_code == 404
    assert not LogReview.objects.exists()


# --- "why can I see this?" on the case page ----------------------------------------------------


def why_line(page: str) -> str:
    match = re.search(r'<p class="why-line">(.*?)</p>', page, re.S)
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split()) if match else ""


@pytest.mark.parametrize(
    ("role", "text"),
    [
        ("coordinator", "Lots/samordnare i Alfa"),
        ("investigator", "Utredare/handläggare i Alfa"),
        ("supervisor", "Arbetsledare/enhetschef i Alfa"),
    ],
)
def test_staff_see_their_role_as_the_reason(unit_a, cases, login, role, text):
    page = login(getattr(unit_a, role)).get(f"/arenden/{cases['a1'].pk}/").content.decode()
    assert why_line(page) == f"Därför ser du ärendet: {text}."


def test_a_partner_sees_membership_and_consent_as_the_reason(unit_a, cases, login):
    case = cases["a1"]
    today = timezone.localdate()
    consent = consent_services.consent_create(
        case=case,
        by=unit_a.coordinator,
        organisations=[unit_a.police],
        categories=InformationCategory.objects.filter(
            unit=unit_a.unit, code__in=["health", "criminality"]
        ),
        place="Testköping",
        signed_on=today,
        valid_from=today,
        valid_until=today + timedelta(days=60),
        officer_name="Lotta Lotsdotter",
        officer_phone="08-1",
        officer_organisation=unit_a.social,
        person_signed=True,
        guardians_signed=[],
    )
    member = CaseMember.objects.create(
        case=case, user=unit_a.partner, organisation=unit_a.police, added_by=unit_a.coordinator
    )

    page = login(unit_a.partner).get(f"/arenden/{case.pk}/").content.decode()

    line = why_line(page)
    assert line.startswith(
        "Därför ser du ärendet: medlem i gruppen för Polisen Alfa; "
        f"samtycke giltigt t.o.m. {consent.valid_until:%Y-%m-%d}."
    )
    assert "Samtycket omfattar: Hälsa, Kriminalitet." in line
    assert "Lots/samordnare" not in line
    entry = AccessLogEntry.objects.filter(user=unit_a.partner, action="view").latest("pk")
    assert entry.grounds == f"membership:member:{member.pk}; consent:consent:{consent.pk}"
    assert entry.category == "criminality,health"
