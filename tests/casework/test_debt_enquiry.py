"""Ekonomi: the enquiry to Kronofogden, its answer with the debts, and who may see them."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.casework import services_economy as services
from insats.casework.models import Debt, DebtEnquiry, Placement
from insats.consent import services as consent_services
from tests.builders import consent, identified_case, police_member, school_member, school_user
from tests.conftest import FormReader

TODAY = timezone.localdate
SUBJECT = "Förfrågan från social insatsgrupp"


@pytest.fixture
def case(unit_a):
    return identified_case(unit_a)


def form_values(response) -> dict:
    reader = FormReader()
    reader.feed(response.content.decode())
    return {name: [v.removeprefix("\n") for v in values] for name, values in reader.values.items()}


def field_error(body: str, field: str) -> str:
    found = re.search(rf'id="id_{field}_error">(.*?)</p>', body, re.S)
    return found.group(1) if found else ""


def plain(body: str) -> str:
    """The page with the non-breaking spaces of Swedish number formatting as plain spaces."""
    return body.replace("\xa0", " ").replace("&nbsp;", " ")


def urls(case, enquiry=None) -> dict:
    result = {
        "economy": reverse("economy", args=[case.pk]),
        "create": reverse("debt_enquiry_create", args=[case.pk]),
    }
    if enquiry is not None:
        args = [case.pk, enquiry.pk]
        result |= {
            "detail": reverse("debt_enquiry_detail", args=args),
            "sent": reverse("debt_enquiry_sent", args=args),
            "answer": reverse("debt_enquiry_answer", args=args),
        }
    return result


def answer_data(*, answered_on=None, no_debts=False, rows=(), extra_rows=2) -> dict:
    data = {"answered_on": (answered_on or TODAY()).isoformat()}
    if no_debts:
        data["no_debts"] = "on"
    rows = list(rows) + [{}] * extra_rows
    data |= {
        "debts-TOTAL_FORMS": str(len(rows)),
        "debts-INITIAL_FORMS": "0",
        "debts-MIN_NUM_FORMS": "0",
        "debts-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key in ("kind", "creditor", "amount"):
            data[f"debts-{index}-{key}"] = row.get(key, "")
    return data


def make_enquiry(world, case, *, sent=True) -> DebtEnquiry:
    enquiry = services.debt_enquiry_create(
        case=case, by=world.coordinator, reply_address="Sociala insatsgruppen\nLotta Lots"
    )
    if sent:
        services.debt_enquiry_mark_sent(
            case=case, enquiry=enquiry, by=world.coordinator, sent_on=TODAY()
        )
    return enquiry


def answer(world, case, enquiry, amounts) -> DebtEnquiry:
    return services.debt_enquiry_answer(
        case=case,
        enquiry=enquiry,
        by=world.coordinator,
        answered_on=TODAY(),
        no_debts=not amounts,
        debts=[
            {"kind": Debt.Kind.PUBLIC, "creditor": f"Skatteverket {i}", "amount": Decimal(a)}
            for i, a in enumerate(amounts)
        ],
    )


# --- Creating the enquiry ---------------------------------------------------------------------


def test_staff_creates_the_enquiry_text(unit_a, case, login):
    client = login(unit_a.investigator)
    response = client.get(urls(case)["create"])
    assert response.status_code == 200
    default = f"{unit_a.unit.name}\n{unit_a.coordinator.get_full_name()}"
    assert form_values(response)["reply_address"] == [default]

    reply = "Sociala insatsgruppen Alfa\nLotta Lots\nBox 123, 111 11 Testköping"
    response = client.post(urls(case)["create"], {"reply_address": reply})
    enquiry = DebtEnquiry.objects.get(case=case)
    assert response.status_code == 302
    assert response.url == urls(case, enquiry)["detail"]

    text = enquiry.text
    lines = text.splitlines()
    assert lines[0] == SUBJECT
    assert text.count(SUBJECT) == 1
    person = case.person
    assert person.full_name in text
    assert person.formatted_number in text
    assert re.search(r"\d{8}-\d{4}", person.formatted_number)
    assert f"Personnummer: {person.formatted_number}" in text
    assert reply in text
    assert "allmänna och enskilda mål" in text
    assert enquiry.reply_address == reply
    assert enquiry.created_by == unit_a.investigator
    assert AccessLogEntry.objects.filter(
        object_type="economy", action="create", case_id=case.pk, object_id=str(enquiry.pk)
    ).exists()

    detail = client.get(response.url)
    body = detail.content.decode()
    assert "Förfrågan är skapad." in body
    assert re.search(r'<textarea id="enquiry-text" rows="\d+" readonly>', body)
    assert form_values(detail)  # the forms to mark as sent are there
    assert '<label for="enquiry-text">' in body
    assert person.formatted_number in body
    assert "Inte skickad" in body


def test_the_enquiry_is_swedish_whatever_the_users_language(unit_a, case, login):
    client = login(unit_a.coordinator)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    client.post(urls(case)["create"], {"reply_address": "Enheten"})
    assert DebtEnquiry.objects.get().text.splitlines()[0] == SUBJECT


def test_reply_address_is_required(unit_a, case, login):
    client = login(unit_a.coordinator)
    response = client.post(urls(case)["create"], {"reply_address": "   "})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ange vart Kronofogden ska skicka svaret." in field_error(body, "reply_address")
    assert "Det finns fel i formuläret" in body
    assert not DebtEnquiry.objects.exists()


def test_a_deidentified_case_gets_no_enquiry(unit_a, login):
    case = unit_a.case(age=16)
    client = login(unit_a.coordinator)
    message = "Ärendet är inte identifierat."
    response = client.get(urls(case)["create"])
    assert response.status_code == 200
    assert message in response.content.decode()

    response = client.post(urls(case)["create"], {"reply_address": "Enheten\nLotta"})
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body.split('class="form"')[0]  # in the error summary
    assert form_values(response)["reply_address"] == ["Enheten\nLotta"]
    assert not DebtEnquiry.objects.exists()


# --- Sent and answered ------------------------------------------------------------------------


def test_mark_as_sent(unit_a, case, login):
    enquiry = make_enquiry(unit_a, case, sent=False)
    client = login(unit_a.coordinator)
    future = (TODAY() + timedelta(days=2)).isoformat()
    response = client.post(urls(case, enquiry)["sent"], {"sent_on": future})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Datumet kan inte ligga i framtiden." in field_error(body, "sent_on")
    assert form_values(response)["sent_on"] == [future]
    enquiry.refresh_from_db()
    assert enquiry.sent_on is None

    response = client.post(urls(case, enquiry)["sent"], {"sent_on": TODAY().isoformat()})
    assert response.status_code == 302
    enquiry.refresh_from_db()
    assert enquiry.sent_on == TODAY()
    assert "Skickad" in client.get(urls(case)["economy"]).content.decode()
    assert AccessLogEntry.objects.filter(
        object_type="economy", action="change", detail__startswith="debt_enquiry sent="
    ).exists()
    assert client.get(urls(case, enquiry)["sent"]).status_code == 405


def test_answer_with_debts_and_their_sum(unit_a, case, login):
    enquiry = make_enquiry(unit_a, case)
    client = login(unit_a.coordinator)
    rows = [
        {"kind": Debt.Kind.PUBLIC, "creditor": "Skatteverket", "amount": "12500"},
        {"kind": Debt.Kind.PRIVATE, "creditor": "Inkasso AB för Telebolaget", "amount": "3250,50"},
    ]
    response = client.post(urls(case, enquiry)["answer"], answer_data(rows=rows))
    assert response.status_code == 302
    assert response.url == urls(case)["economy"]
    enquiry.refresh_from_db()
    assert enquiry.answered_on == TODAY() and not enquiry.no_debts
    assert [(d.creditor, d.amount) for d in enquiry.debts.all()] == [
        ("Skatteverket", Decimal("12500")),
        ("Inkasso AB för Telebolaget", Decimal("3250.50")),
    ]
    body = plain(client.get(urls(case)["economy"]).content.decode())
    assert "Besvarad" in body
    assert "Skatteverket" in body and "Inkasso AB för Telebolaget" in body
    assert re.search(r'id="debt-total"><strong>15 750,50</strong>', body)

    # A second enquiry, answered with one debt: every debt is listed and summed.
    second = make_enquiry(unit_a, case)
    answer(unit_a, case, second, ["1000"])
    body = plain(client.get(urls(case)["economy"]).content.decode())
    assert re.search(r'id="debt-total"><strong>16 750,50</strong>', body)
    assert "Skulderna kommer från flera svar" in body


def test_answer_validation_is_swedish_and_keeps_the_input(unit_a, case, login):
    enquiry = make_enquiry(unit_a, case)
    client = login(unit_a.coordinator)
    partial = {"creditor": "Skatteverket", "amount": "-5"}
    response = client.post(urls(case, enquiry)["answer"], answer_data(rows=[partial]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Välj typ av skuld." in field_error(body, "debts-0-kind")
    assert "Beloppet måste vara större än noll." in field_error(body, "debts-0-amount")
    assert "Skuld 1, Typ" in body  # the error summary names the row
    values = form_values(response)
    assert values["debts-0-creditor"] == ["Skatteverket"]
    assert values["debts-0-amount"] == ["-5"]

    response = client.post(urls(case, enquiry)["answer"], answer_data())
    assert response.status_code == 200
    assert "Registrera minst en skuld, eller kryssa i att svaret visar inga skulder." in (
        response.content.decode()
    )

    row = {"kind": Debt.Kind.OTHER, "creditor": "Banken", "amount": "100"}
    response = client.post(urls(case, enquiry)["answer"], answer_data(no_debts=True, rows=[row]))
    assert response.status_code == 200
    assert "Svaret kan inte både visa inga skulder och ha skulder." in field_error(
        response.content.decode(), "no_debts"
    )
    assert form_values(response)["debts-0-creditor"] == ["Banken"]
    enquiry.refresh_from_db()
    assert enquiry.answered_on is None and not Debt.objects.exists()


def test_no_debts_answer_and_answer_before_sending(unit_a, case, login):
    client = login(unit_a.coordinator)
    unsent = make_enquiry(unit_a, case, sent=False)
    response = client.post(urls(case, unsent)["answer"], answer_data(no_debts=True))
    assert response.status_code == 200
    assert "Markera förfrågan som skickad innan svaret registreras." in (response.content.decode())

    enquiry = make_enquiry(unit_a, case)
    response = client.post(urls(case, enquiry)["answer"], answer_data(no_debts=True))
    assert response.status_code == 302
    enquiry.refresh_from_db()
    assert enquiry.no_debts and enquiry.answered_on == TODAY()
    body = client.get(urls(case)["economy"]).content.decode()
    assert "finns inga skulder" in body


def test_a_corrected_answer_replaces_the_debts(unit_a, case, login):
    enquiry = make_enquiry(unit_a, case)
    answer(unit_a, case, enquiry, ["500", "700"])
    client = login(unit_a.coordinator)
    values = form_values(client.get(urls(case, enquiry)["detail"]))
    assert values["debts-0-creditor"] == ["Skatteverket 0"]
    assert values["debts-TOTAL_FORMS"] == ["5"]  # the two debts and three blank rows
    data = answer_data(
        rows=[{"kind": Debt.Kind.PUBLIC, "creditor": "Skatteverket 0", "amount": "450"}]
    )
    assert client.post(urls(case, enquiry)["answer"], data).status_code == 302
    assert [d.amount for d in Debt.objects.all()] == [Decimal("450")]


# --- Who may see and do what ------------------------------------------------------------------


def test_police_partner_without_economy_gets_404(unit_a, case, login):
    police_member(unit_a, case)
    consent(unit_a, case, codes=("criminality", "family"))
    enquiry = make_enquiry(unit_a, case)
    client = login(unit_a.partner)
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 200
    for name, address in urls(case, enquiry).items():
        if name not in ("sent", "answer"):
            assert client.get(address).status_code == 404, name
    assert client.get(reverse("placements", args=[case.pk])).status_code == 404
    assert AccessLogEntry.objects.filter(
        object_type="economy", action="denied", user=unit_a.partner
    ).exists()


def test_partner_with_economy_reads_but_does_not_write(unit_a, case, login):
    police_member(unit_a, case)
    consent(unit_a, case, codes=("criminality", "economy"))
    enquiry = make_enquiry(unit_a, case)
    answer(unit_a, case, enquiry, ["2000"])
    client = login(unit_a.partner)
    response = client.get(urls(case)["economy"])
    assert response.status_code == 200
    body = response.content.decode()
    assert "Skatteverket 0" in body
    assert urls(case)["create"] not in body
    detail = client.get(urls(case, enquiry)["detail"]).content.decode()
    assert "Registrera svar" not in detail and "Rätta svaret" not in detail
    assert urls(case, enquiry)["sent"] not in detail
    assert AccessLogEntry.objects.filter(
        object_type="economy", action="view", user=unit_a.partner, category="criminality,economy"
    ).exists()

    assert client.get(urls(case)["create"]).status_code == 404
    assert client.post(urls(case)["create"], {"reply_address": "X"}).status_code == 404
    assert client.post(urls(case, enquiry)["sent"], {"sent_on": TODAY()}).status_code == 404
    assert client.post(urls(case, enquiry)["answer"], answer_data(no_debts=True)).status_code == (
        404
    )
    assert DebtEnquiry.objects.count() == 1 and Debt.objects.count() == 1

    consent_services.consent_revoke(
        consent=case.consents.get(), by=unit_a.coordinator, revoked_on=TODAY(), how="Muntligt"
    )
    assert client.get(urls(case)["economy"]).status_code == 404
    assert client.get(urls(case, enquiry)["detail"]).status_code == 404


def test_school_partner_without_economy_gets_404(unit_a, case, login):
    school_member(unit_a, case)
    consent(unit_a, case, organisations=[unit_a.school], codes=("health", "family"))
    enquiry = make_enquiry(unit_a, case)
    client = login(school_user(unit_a))
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 200
    assert client.get(urls(case)["economy"]).status_code == 404
    assert client.get(urls(case, enquiry)["detail"]).status_code == 404


def test_other_units_staff_get_404(unit_a, unit_b, case, login):
    enquiry = make_enquiry(unit_a, case)
    client = login(unit_b.supervisor)
    for name in ("economy", "create", "detail"):
        assert client.get(urls(case, enquiry)[name]).status_code == 404, name
    assert client.post(urls(case)["create"], {"reply_address": "X"}).status_code == 404
    assert client.post(urls(case, enquiry)["answer"], answer_data(no_debts=True)).status_code == (
        404
    )
    # An enquiry id under another case is a plain 404 too.
    other = identified_case(unit_a)
    wrong = reverse("debt_enquiry_detail", args=[other.pk, enquiry.pk])
    assert login(unit_a.coordinator).get(wrong).status_code == 404
    assert DebtEnquiry.objects.count() == 1


def test_closed_case_is_read_only(unit_a, case, login):
    enquiry = make_enquiry(unit_a, case, sent=False)
    case_services.case_transition(
        case=case, to_state=State.WITHDRAWN, by=unit_a.coordinator, reason="Avstår."
    )
    client = login(unit_a.coordinator)
    response = client.get(urls(case)["economy"])
    assert response.status_code == 200
    body = response.content.decode()
    assert urls(case)["create"] not in body
    assert "Ärendet är avslutat" in body
    assert (
        urls(case, enquiry)["sent"]
        not in client.get(urls(case, enquiry)["detail"]).content.decode()
    )
    assert client.get(urls(case)["create"]).status_code == 404
    assert client.post(urls(case)["create"], {"reply_address": "X"}).status_code == 404
    assert client.post(urls(case, enquiry)["sent"], {"sent_on": TODAY()}).status_code == 404
    assert DebtEnquiry.objects.count() == 1
    enquiry.refresh_from_db()
    assert enquiry.sent_on is None


def test_economy_page_runs_a_fixed_number_of_queries(
    unit_a, case, login, django_assert_max_num_queries
):
    client = login(unit_a.coordinator)
    answer(unit_a, case, make_enquiry(unit_a, case), ["100"])
    client.get(reverse("economy", args=[case.pk]))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("economy", args=[case.pk])).status_code == 200
    few = len(captured)
    assert few <= 20
    for _ in range(6):
        answer(unit_a, case, make_enquiry(unit_a, case), ["100", "200", "300"])
    make_enquiry(unit_a, case, sent=False)
    for index in range(8):
        Placement.objects.create(
            case=case,
            kind=Placement.Kind.HVB,
            provider=f"HVB {index}",
            starts_on=TODAY() - timedelta(days=30),
            daily_cost=Decimal("1500"),
            recorded_by=unit_a.coordinator,
        )
    with django_assert_max_num_queries(few):
        assert client.get(reverse("economy", args=[case.pk])).status_code == 200
    enquiry = DebtEnquiry.objects.filter(answered_on__isnull=False).first()
    with django_assert_max_num_queries(few + 2):
        detail = reverse("debt_enquiry_detail", args=[case.pk, enquiry.pk])
        assert client.get(detail).status_code == 200
