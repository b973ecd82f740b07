"""Haverikommission pages: opened on an open case by the unit's staff, with decisions marked
when they are late; staff only (no partner reads it), read-only once the case is closed."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from insats.access.models import AccessLogEntry
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.casework import services_reviews as services
from insats.casework.models import FailureReview
from insats.consent import services as consent_services
from insats.consent.models import Consent
from tests import builders
from tests.conftest import FormReader


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def form_values(response) -> dict[str, str]:
    reader = FormReader()
    reader.feed(response.content.decode())
    return {name: values[-1].removeprefix("\n") for name, values in reader.values.items()}


def fill(values: dict, **fields) -> dict:
    data = dict(values)
    for name, value in fields.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def list_url(case):
    return f"/arenden/{case.pk}/haverikommission/"


def create_url(case):
    return f"/arenden/{case.pk}/haverikommission/ny/"


def detail_url(review):
    return f"/arenden/{review.case_id}/haverikommission/{review.pk}/"


def edit_url(review):
    return f"/arenden/{review.case_id}/haverikommission/{review.pk}/andra/"


def pdf_url(review):
    return f"/arenden/{review.case_id}/haverikommission/{review.pk}/haverikommission.pdf"


def days(n: int):
    return timezone.localdate() + timedelta(days=n)


@pytest.fixture
def case(unit_a):
    case = builders.identified_case(unit_a, age=19)
    builders.police_member(unit_a, case)
    builders.consent(unit_a, case, codes=("criminality", "family", "health", "economy"))
    return case


def save_review(world, case, *, review=None, decisions=None, **fields):
    values = {
        "trigger": FailureReview.Trigger.REOFFENDING,
        "opened_on": days(-10),
        "convened": "Lotsen, kommunpolisen och mamma",
        "timeline": "Greps för rån en vecka efter flytten.",
        "causes": "",
        "lessons": "",
        **fields,
    }
    if decisions is None:
        decisions = [
            {
                "decision": "Ny boendeplanering",
                "responsible": "Lotsen",
                "due_on": days(-2),
                "done_on": None,
            },
            {
                "decision": "Kontakt med frivården",
                "responsible": "Kommunpolisen",
                "due_on": days(14),
                "done_on": None,
            },
        ]
    return services.failure_review_save(
        case=case, by=world.coordinator, review=review, decisions=decisions, **values
    )


def test_staff_open_a_review_and_change_it(unit_a, case, login):
    client = login(unit_a.coordinator)
    page = client.get(list_url(case)).content.decode()
    assert "Ingen haverikommission har öppnats i ärendet." in page
    assert create_url(case) in page

    values = form_values(client.get(create_url(case)))
    assert values["opened_on"] == timezone.localdate().isoformat()
    assert values["decisions-TOTAL_FORMS"] == "2"
    data = fill(
        values,
        trigger="breakdown",
        opened_on=days(-3).isoformat(),
        convened="Lotsen, skolan och pappa",
        timeline="Slutade komma till praktiken i mars.",
        **{
            "decisions-0-decision": "Ny praktikplats",
            "decisions-0-responsible": "Arbetsmarknadsenheten",
            "decisions-0-due_on": days(20).isoformat(),
        },
    )
    response = client.post(create_url(case), data)
    assert response.status_code == 302, response.content.decode()
    review = FailureReview.objects.get(case=case)
    assert response.url == detail_url(review)
    assert review.trigger == "breakdown" and review.created_by == unit_a.coordinator
    # The blank extra row was ignored.
    assert [(d.decision, d.responsible) for d in review.decisions.all()] == [
        ("Ny praktikplats", "Arbetsmarknadsenheten")
    ]

    page = client.get(detail_url(review)).content.decode()
    assert "Planen har havererat" in page
    assert "Lotsen, skolan och pappa" in page
    assert "Slutade komma till praktiken i mars." in page
    assert edit_url(review) in page

    values = form_values(client.get(edit_url(review)))
    assert values["decisions-0-decision"] == "Ny praktikplats"
    assert values["decisions-TOTAL_FORMS"] == "3"
    data = fill(
        values,
        causes="Ingen hade ansvar för praktiken.",
        lessons="En namngiven ansvarig för varje åtgärd.",
        closed_on=timezone.localdate().isoformat(),
        **{
            "decisions-0-done_on": timezone.localdate().isoformat(),
            "decisions-1-decision": "Uppföljning om en månad",
            "decisions-1-responsible": "Lotsen",
            "decisions-1-due_on": days(30).isoformat(),
        },
    )
    assert client.post(edit_url(review), data).status_code == 302
    review.refresh_from_db()
    assert review.closed_on == timezone.localdate()
    assert review.causes == "Ingen hade ansvar för praktiken."
    assert review.decisions.count() == 2
    assert FailureReview.objects.count() == 1

    page = client.get(list_url(case)).content.decode()
    assert "Avslutad " + timezone.localdate().isoformat() in page

    logged = AccessLogEntry.objects.filter(case_id=case.pk, object_type="failure_review")
    assert logged.filter(action="create", object_id=str(review.pk)).exists()
    assert logged.filter(action="change", object_id=str(review.pk)).exists()
    assert logged.filter(action="view", user=unit_a.coordinator).exists()


def test_clearing_a_decision_row_removes_it(unit_a, case, login):
    review = save_review(unit_a, case)
    client = login(unit_a.coordinator)
    values = form_values(client.get(edit_url(review)))
    data = fill(values, **{f"decisions-0-{n}": "" for n in ("decision", "responsible", "due_on")})
    assert client.post(edit_url(review), data).status_code == 302
    assert [d.decision for d in review.decisions.all()] == ["Kontakt med frivården"]


def test_missing_fields_and_partial_decision_row_in_swedish(unit_a, case, login):
    client = login(unit_a.coordinator)
    values = form_values(client.get(create_url(case)))
    data = fill(
        values,
        convened="",
        timeline="Mitt förlopp.",
        **{"decisions-1-decision": "Nytt boende", "decisions-1-due_on": "inte ett datum"},
    )
    data.pop("trigger", None)

    response = client.post(create_url(case), data)

    assert response.status_code == 200
    page = response.content.decode()
    for message in (
        "Välj anledningen till haverikommissionen.",
        "Ange vilka i nätverket som sammankallas.",
        "Ange vem som ansvarar.",
        "Ange ett giltigt datum (åååå-mm-dd).",
        "Det finns fel i formuläret",
    ):
        assert message in page, message
    kept = form_values(response)
    assert kept["timeline"] == "Mitt förlopp."
    assert kept["decisions-1-decision"] == "Nytt boende"
    assert kept["decisions-1-due_on"] == "inte ett datum"
    assert not FailureReview.objects.exists()


def test_closing_needs_causes_and_lessons_and_future_dates_are_refused(unit_a, case, login):
    client = login(unit_a.coordinator)
    values = form_values(client.get(create_url(case)))
    data = fill(
        values,
        trigger="other",
        convened="Lotsen",
        closed_on=timezone.localdate().isoformat(),
        **{
            "decisions-0-decision": "Möte med familjen",
            "decisions-0-responsible": "Lotsen",
            "decisions-0-due_on": days(3).isoformat(),
            "decisions-0-done_on": days(2).isoformat(),
        },
    )
    response = client.post(create_url(case), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Skriv orsaker och lärdomar innan haverikommissionen avslutas." in page
    assert "Beslut 1: genomfört-datumet kan inte ligga i framtiden." in page
    assert form_values(response)["decisions-0-decision"] == "Möte med familjen"
    assert not FailureReview.objects.exists()

    response = client.post(create_url(case), fill(data, opened_on=days(1).isoformat()))
    assert "Datumet kan inte ligga i framtiden." in response.content.decode()


def test_overdue_open_decisions_are_marked(unit_a, case, login):
    review = save_review(unit_a, case)
    client = login(unit_a.coordinator)
    page = client.get(detail_url(review)).content.decode()
    assert page.count('class="overdue"') == 1
    assert "Försenat" in page
    assert "1 försenat" in client.get(list_url(case)).content.decode()

    save_review(
        unit_a,
        case,
        review=review,
        decisions=[
            {
                "decision": "Ny boendeplanering",
                "responsible": "Lotsen",
                "due_on": days(-2),
                "done_on": days(-1),
            }
        ],
    )
    page = client.get(detail_url(review)).content.decode()
    assert 'class="overdue"' not in page
    assert "försenat" not in client.get(list_url(case)).content.decode()


def test_two_edits_of_the_same_review_conflict(unit_a, case, login):
    review = save_review(unit_a, case)
    mine_client = login(unit_a.coordinator)
    mine = form_values(mine_client.get(edit_url(review)))
    theirs = fill(mine, lessons="Den andras lärdom.")
    assert login(unit_a.investigator).post(edit_url(review), theirs).status_code == 302

    mine = fill(mine, causes="Min orsak.", timeline="Mitt förlopp.")
    client = login(unit_a.coordinator)
    response = client.post(edit_url(review), mine)

    assert response.status_code == 200
    assert "Haverikommissionen har ändrats av någon annan" in response.content.decode()
    kept = form_values(response)
    assert kept["causes"] == "Min orsak."
    assert kept["timeline"] == "Mitt förlopp."
    review.refresh_from_db()
    assert review.lessons == "Den andras lärdom."
    assert review.causes == ""

    # Having been told, the user may save again on top of the newest version.
    assert client.post(edit_url(review), kept).status_code == 302
    review.refresh_from_db()
    assert review.causes == "Min orsak."


def test_pdf_is_a_real_document(unit_a, case, login):
    review = save_review(unit_a, case, causes="Ingen kontakt efter frigivningen.")
    client = login(unit_a.coordinator)
    response = client.get(pdf_url(review))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "Haverikommission",
        case.number,
        "Återfall i brott",
        "Lotsen, kommunpolisen och mamma",
        "Ingen kontakt efter frigivningen.",
        "Ny boendeplanering",
        "försenat",
        "Kontakt med frivården",
    ):
        assert expected in text, expected
    assert AccessLogEntry.objects.filter(
        case_id=case.pk, object_type="failure_review", action="print"
    ).exists()


def test_partners_and_leadership_get_404(unit_a, case, login):
    """Staff only: even a police partner whose consent covers every category gets 404."""
    review = save_review(unit_a, case)
    builders.school_member(unit_a, case)
    builders.consent(unit_a, case, organisations=[unit_a.school], codes=("occupation",))
    for user in (unit_a.partner, builders.school_user(unit_a), unit_a.leadership, unit_a.analyst):
        client = login(user)
        for url in (list_url(case), create_url(case), detail_url(review), pdf_url(review)):
            assert client.get(url).status_code == 404, (user, url)
        assert client.post(edit_url(review), {"convened": "x"}).status_code == 404
    assert AccessLogEntry.objects.filter(
        case_id=case.pk, object_type="failure_review", action="denied", user=unit_a.partner
    ).exists()
    review.refresh_from_db()
    assert review.convened == "Lotsen, kommunpolisen och mamma"


def test_revoked_consent_changes_nothing_for_partners(unit_a, case, login):
    review = save_review(unit_a, case)
    for consent in Consent.objects.filter(case=case):
        consent_services.consent_revoke(
            consent=consent, by=unit_a.coordinator, revoked_on=timezone.localdate(), how="Brev."
        )
    client = login(unit_a.partner)
    assert client.get(detail_url(review)).status_code == 404
    # Staff still read it: their access is by role, not by consent.
    assert login(unit_a.coordinator).get(detail_url(review)).status_code == 200


def test_other_unit_gets_404(unit_a, unit_b, case, login):
    review = save_review(unit_a, case)
    for user in (unit_b.supervisor, unit_b.coordinator, unit_b.partner):
        client = login(user)
        for url in (list_url(case), create_url(case), detail_url(review), pdf_url(review)):
            assert client.get(url).status_code == 404, url
        assert client.post(create_url(case), {"convened": "x"}).status_code == 404
        assert client.post(edit_url(review), {"convened": "x"}).status_code == 404
    assert FailureReview.objects.count() == 1


def test_a_review_of_another_case_is_not_found(unit_a, case, login):
    other = builders.identified_case(unit_a)
    foreign = save_review(unit_a, other)
    client = login(unit_a.coordinator)
    for suffix in ("", "andra/", "haverikommission.pdf"):
        url = f"/arenden/{case.pk}/haverikommission/{foreign.pk}/{suffix}"
        assert client.get(url).status_code == 404, url
    assert not AccessLogEntry.objects.filter(case_id=case.pk, object_type="failure_review")


def test_closed_case_is_read_only(unit_a, case, login):
    review = save_review(unit_a, case)
    case_services.case_transition(
        case=case, to_state=State.WITHDRAWN, by=unit_a.coordinator, reason="Avstår."
    )
    client = login(unit_a.coordinator)
    page = client.get(detail_url(review))
    assert page.status_code == 200
    assert edit_url(review) not in page.content.decode()
    listing = client.get(list_url(case)).content.decode()
    assert create_url(case) not in listing
    assert "Ärendet är avslutat och kan inte ändras." in listing
    assert client.get(pdf_url(review)).status_code == 200
    assert client.get(create_url(case)).status_code == 404
    assert client.get(edit_url(review)).status_code == 404
    values = {"trigger": "other", "opened_on": days(-1).isoformat(), "convened": "Lotsen"}
    assert client.post(create_url(case), values).status_code == 404
    assert client.post(edit_url(review), values).status_code == 404
    assert FailureReview.objects.count() == 1
    case.refresh_from_db()
    with pytest.raises(PermissionDenied):
        save_review(unit_a, case)
    with pytest.raises(PermissionDenied):
        save_review(unit_a, case, review=review, causes="Efter avslut.")


def test_pages_run_a_fixed_number_of_queries(unit_a, case, login, django_assert_max_num_queries):
    client = login(unit_a.coordinator)
    review = save_review(unit_a, case)
    with CaptureQueriesContext(connection) as few_detail:
        client.get(detail_url(review))
    with CaptureQueriesContext(connection) as few_list:
        client.get(list_url(case))
    rows = [
        {"decision": f"Beslut {n}", "responsible": "Lotsen", "due_on": days(n - 5)}
        for n in range(12)
    ]
    save_review(unit_a, case, review=review, decisions=rows)
    for _ in range(5):
        save_review(unit_a, case, decisions=rows)
    with CaptureQueriesContext(connection) as many_detail:
        client.get(detail_url(review))
    with CaptureQueriesContext(connection) as many_list:
        client.get(list_url(case))
    assert len(many_detail) == len(few_detail)
    assert len(many_list) == len(few_list)
    for url in (list_url(case), detail_url(review), edit_url(review)):
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200
