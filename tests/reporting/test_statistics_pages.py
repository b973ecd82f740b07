"""The statistics pages and the period report: who may read them, that they never show a
person, that small counts are suppressed, and that every read is logged."""

import io
import re
from datetime import date, timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from insats.access.models import AccessLogEntry
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.decisions.models import FollowUpAssessment
from insats.reporting import periods, statistics
from tests.builders import birth_for_age, consent, decide, enrollable_case, identified_case
from tests.reporting.oracle import Layout, derivable_page, shown_as
from tests.reporting.test_statistics_figures import follow_up

pytestmark = pytest.mark.django_db

URL = reverse("statistics")


def login(client, user):
    client.force_login(user)
    return client


def this_tertial() -> dict:
    period = periods.containing("tertial", timezone.localdate())
    return {"period": "tertial", "year": period.start.year, "number": period.start.month // 4 + 1}


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def cells_of(html: str, key: str) -> list[str]:
    """The shown cell texts of one statistics table, by its key."""
    section = html.split(f'id="t-{key}"', 1)[1].split("</section>", 1)[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", section)
    return [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]


@pytest.fixture
def identifying(unit_a):
    """Cases whose people, aliases and free text would be recognisable anywhere."""
    strings = []
    for index, (first, last) in enumerate(
        [("Zelmira", "Quistborg"), ("Ottokar", "Vindelhjelm"), ("Brunhild", "Ekstrandqvist")]
    ):
        person = unit_a.person(
            first=first, last=last, birth=birth_for_age(17 + index), serial=700 + index
        )
        case = unit_a.case(person=person, intake_basis=f"Fritext om {last} i trapphuset")
        strings += [first, last, person.identity_number, case.alias, f"Fritext om {last}"]
    enrolled = enrollable_case(unit_a)
    decide(unit_a, enrolled, State.ASSIGNMENT)
    enrolled.refresh_from_db()
    strings += [enrolled.alias, enrolled.person.last_name, enrolled.person.identity_number]
    return strings


def test_leadership_and_analyst_never_see_a_person(client, unit_a, identifying):
    for user in (unit_a.leadership, unit_a.analyst, unit_a.supervisor):
        login(client, user)
        page = client.get(URL, this_tertial())
        assert page.status_code == 200
        html = page.content.decode()
        assert 'id="t-cases_by_source_state"' in html
        pdf = client.get(reverse("statistics_pdf"), this_tertial())
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        text = pdf_text(pdf.content)
        assert "Tertial" in text
        for secret in identifying:
            assert secret not in html, (user.username, secret)
            assert secret not in text, (user.username, secret)


def test_small_counts_are_shown_as_fewer_than(client, unit_a):
    for _ in range(3):
        unit_a.case()
    login(client, unit_a.leadership)
    html = client.get(URL, this_tertial()).content.decode()
    shown = cells_of(html, "cases_by_source_state")
    assert shown, "the table is on the page"
    # Three cases in all: every count, totals included, is below five.
    assert set(shown) <= {"<5", "×", ""}
    assert "<5" in shown
    assert "3" not in shown


def test_larger_counts_are_shown(client, unit_a):
    for index in range(10):
        case = identified_case(unit_a)
        if index % 2:
            consent(unit_a, case)
    login(client, unit_a.leadership)
    html = client.get(URL, this_tertial()).content.decode()
    # Five with consent and five without: enough on both sides to show them and the rate.
    assert cells_of(html, "consent") == ["5", "5", "10"]
    assert "50 %" in html


@pytest.mark.parametrize("role", ["coordinator", "investigator", "partner", "administrator"])
def test_others_get_404(client, unit_a, role):
    login(client, getattr(unit_a, role))
    assert client.get(URL).status_code == 404
    assert client.get(reverse("statistics_pdf")).status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_another_units_figures_cannot_be_asked_for(client, unit_a, unit_b):
    for _ in range(6):
        unit_b.case()
    login(client, unit_a.leadership)
    response = client.get(URL, {**this_tertial(), "enhet": unit_b.unit.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="t-cases_by_source_state"' not in html
    assert "error-summary" in html
    assert not AccessLogEntry.objects.filter(unit_id=unit_b.unit.pk, object_type="statistics")


def test_bad_period_keeps_input_and_says_why(client, unit_a):
    login(client, unit_a.analyst)
    response = client.get(URL, {"period": "custom", "start": "2026-05-10", "end": "2026-05-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Slutdatum kan inte vara före startdatum." in html
    assert 'value="2026-05-10"' in html and 'value="2026-05-01"' in html
    assert not AccessLogEntry.objects.filter(object_type="statistics")


def test_every_read_is_logged_per_unit(client, unit_a):
    login(client, unit_a.leadership)
    client.get(URL, this_tertial())
    client.get(reverse("statistics_pdf"), this_tertial())
    entries = AccessLogEntry.objects.filter(user=unit_a.leadership, object_type="statistics")
    assert sorted(entries.values_list("action", flat=True)) == ["print", "view"]
    assert set(entries.values_list("unit_id", flat=True)) == {unit_a.unit.pk}
    assert all(entry.case_id is None and entry.person_id is None for entry in entries)


def test_two_units_together(client, unit_a, unit_b):
    from insats.organisations.models import Membership, Role

    Membership.objects.create(user=unit_a.analyst, organisation=unit_b.social, role=Role.ANALYST)
    for world in (unit_a, unit_b):
        for _ in range(3):
            world.case()
    login(client, unit_a.analyst)
    html = client.get(URL, {**this_tertial(), "enhet": "alla"}).content.decode()
    # Three and three: only together are they enough to show.
    assert "6" in cells_of(html, "cases_by_source_state")
    logged = AccessLogEntry.objects.filter(user=unit_a.analyst, object_type="statistics")
    assert set(logged.values_list("unit_id", flat=True)) == {unit_a.unit.pk, unit_b.unit.pk}


def test_constant_queries(client, unit_a, django_assert_max_num_queries):
    login(client, unit_a.leadership)
    unit_a.case()
    client.get(URL, this_tertial())  # warm caches (sessions, content types)
    with django_assert_max_num_queries(40) as few:
        client.get(URL, this_tertial())
    for _ in range(15):
        case = identified_case(unit_a)
        consent(unit_a, case)
    case_services.case_transition(
        case=case, to_state=State.WITHDRAWN, by=unit_a.coordinator, reason="Flyttat."
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(URL, this_tertial())


def test_period_choice_is_shown(client, unit_a):
    login(client, unit_a.leadership)
    last_year = timezone.localdate().year - 1
    html = client.get(URL, {"period": "year", "year": last_year}).content.decode()
    assert f"{last_year}-01-01" in html and f"{last_year}-12-31" in html
    start = timezone.localdate() - timedelta(days=40)
    html = client.get(
        URL, {"period": "custom", "start": start.isoformat(), "end": timezone.localdate()}
    ).content.decode()
    assert start.isoformat() in html


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("0001-01-01", "2026-01-31", "start"), ("2026-01-01", "9999-12-31", "end")],
)
def test_dates_far_outside_the_data_are_refused_not_a_500(client, unit_a, start, end, field):
    login(client, unit_a.leadership)
    for url in (URL, reverse("statistics_pdf")):
        response = client.get(url, {"period": "custom", "start": start, "end": end})
        assert response.status_code == 200
        assert "Ange ett datum mellan 2000-01-01 och" in response.content.decode()
        assert field in response.context["form"].errors
    assert not AccessLogEntry.objects.filter(object_type="statistics")


def test_a_custom_period_is_counted_in_whole_months(client, unit_a):
    login(client, unit_a.leadership)
    response = client.get(URL, {"period": "custom", "start": "2025-03-17", "end": "2025-05-02"})
    period = response.context["period"]
    assert (period.start, period.end) == (date(2025, 3, 1), date(2025, 5, 31))
    html = response.content.decode()
    assert "2025-03-01 – 2025-05-31" in html
    assert "En egen period räknas i hela kalendermånader." in html
    trend = [label for label, _cells, _total in response.context["trend"].rows]
    assert trend[-2:] == ["2024-12 – 2025-02", "2025-03 – 2025-05"]
    one_month = client.get(URL, {"period": "custom", "start": "2025-03-17", "end": "2025-03-18"})
    assert one_month.context["period"].label == "2025-03"


def test_staff_with_leadership_in_another_unit_find_the_statistics(client, unit_a, unit_b):
    from insats.organisations.models import Membership, Role

    coordinator = unit_a.coordinator
    login(client, coordinator)
    start = client.get(reverse("start")).content.decode()
    assert f'href="{URL}"' not in start  # a coordinator alone has no statistics

    Membership.objects.create(user=coordinator, organisation=unit_b.social, role=Role.LEADERSHIP)
    start = client.get(reverse("start")).content.decode()
    assert start.count(f'href="{URL}"') == 2  # the start page's button and the navigation
    assert reverse("statistics_export") not in start  # leadership does not export
    page = client.get(URL, this_tertial())
    assert [unit.pk for unit in page.context["units"]] == [unit_b.unit.pk]


def test_stray_dates_do_not_block_a_fixed_period(client, unit_a):
    login(client, unit_a.leadership)
    response = client.get(URL, {**this_tertial(), "start": "0001-01-01", "end": "9999-12-31"})
    assert response.context["form"].is_valid()
    assert 'id="t-cases_by_source_state"' in response.content.decode()


def test_no_hidden_change_follows_from_the_number_of_cases_compared(client, unit_a):
    """Issue #7, item 7: five cases compared, all five better in housing ("Förbättrad 5"),
    four of five in economy. Every row of both follow-up tables counts each of the five once,
    so a row total shown anywhere (or added up from a fully shown row) is every row's total,
    and "5" beside three hidden cells in a row of 5 says they are 0. The page, read with
    that structure in mind, must give no hidden count away."""
    today = timezone.localdate()
    period = periods.containing("tertial", today)
    for index in range(5):
        case = unit_a.case()
        first = period.start - timedelta(days=30)
        follow_up(unit_a, case, FollowUpAssessment.Kind.FIRST, first, {"housing": 2, "economy": 2})
        economy = 3 if index else 2
        follow_up(
            unit_a, case, FollowUpAssessment.Kind.SECOND, today, {"housing": 3, "economy": economy}
        )
    login(client, unit_a.leadership)
    response = client.get(URL, this_tertial())
    html = response.content.decode()
    figures = statistics.compute([unit_a.unit.pk], period)

    layouts, shown = [], []
    for key in ("follow_up_change", "follow_up_indicators"):
        table = next(table for table in figures.tables if table.key == key)
        assert all(sum(row) == 5 for row in table.counts)
        width = len(table.column_labels) + 1  # the cells and the row total
        texts = cells_of(html, key)
        rows = [texts[i : i + width] for i in range(0, len(texts), width)]
        assert len(rows) == len(table.counts)
        layouts.append(Layout(table.counts, shared_row_total="cases compared"))
        shown.append(shown_as([row[:-1] for row in rows], [row[-1] for row in rows], 5))
    assert derivable_page(layouts, shown, 5) == []
    # Nothing more is hidden than it takes: the housing row still says all five improved.
    place = [table.key for table in figures.tables].index("follow_up_change")
    change = response.context["tables"][place]
    housing = next(cells for label, cells, _total in change.rows if label == "Boende")
    assert [cell.text for cell in housing] == ["5", "<5", "<5", "<5"]
    assert {total.text for _label, _cells, total in change.rows} == {"×"}
    pdf = client.get(reverse("statistics_pdf"), this_tertial())
    assert pdf.status_code == 200 and pdf.context["tables"][place].rows == change.rows
