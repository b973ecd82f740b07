"""The contact list for collaboration (appendix 1) and the unit's agreements and situation
picture: staff keep them, contacts not reviewed for `unit.contact_review_months` are marked,
the list prints as a PDF, and supervisors are reminded once before an agreement's review."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from insats.access.models import AccessLogEntry
from insats.meetings import services_groups as services
from insats.meetings.jobs_groups import REMIND_DAYS_BEFORE, remind_reviews
from insats.meetings.models import Agreement, Contact
from tests.conftest import FormReader
from tests.outbox.helpers import deliver

CONTACTS = "/samverkan/kontakter/"
CONTACTS_PDF = "/samverkan/kontakter/utskrift/"
CONTACT_CREATE = "/samverkan/kontakter/ny/"
AGREEMENTS = "/samverkan/overenskommelser/"
AGREEMENT_CREATE = "/samverkan/overenskommelser/ny/"


def edit_url(contact):
    return f"/samverkan/kontakter/{contact.pk}/andra/"


def delete_url(contact):
    return f"/samverkan/kontakter/{contact.pk}/ta-bort/"


def reviewed_url(contact):
    return f"/samverkan/kontakter/{contact.pk}/kontrollerad/"


def agreement_edit_url(agreement):
    return f"/samverkan/overenskommelser/{agreement.pk}/andra/"


def form_values(response) -> dict[str, str]:
    reader = FormReader()
    reader.feed(response.content.decode())
    return {name: values[-1].removeprefix("\n") for name, values in reader.values.items()}


@pytest.fixture
def frozen(monkeypatch):
    """Set the day `timezone.localdate()` answers (only when asked about "now")."""
    real = timezone.localdate

    def freeze(day):
        def localdate(value=None, timezone=None):
            return day if value is None else real(value, timezone)

        monkeypatch.setattr("django.utils.timezone.localdate", localdate)

    return freeze


def contact(world, name="Kim Kommunpolis", reviewed=None, organisation=None, **fields):
    fields.setdefault("phone", "010-123 45 67")
    return Contact.objects.create(
        unit=world.unit,
        organisation=organisation or world.police,
        name=name,
        last_reviewed_on=reviewed or timezone.localdate(),
        **fields,
    )


def agreement(world, title="Överenskommelse polis–socialtjänst", review_in=100, **fields):
    today = timezone.localdate()
    return services.agreement_save(
        unit=world.unit,
        by=world.coordinator,
        kind=fields.pop("kind", "agreement"),
        title=title,
        parties=fields.pop("parties", "Socialtjänsten, polisen"),
        dated_on=fields.pop("dated_on", today - timedelta(days=300)),
        review_on=today + timedelta(days=review_in),
        **fields,
    )


# --- Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["partner", "leadership", "analyst", "administrator"])
def test_only_the_units_staff_see_contacts_and_agreements(unit_a, login, role):
    kim = contact(unit_a)
    deal = agreement(unit_a)
    client = login(getattr(unit_a, role))
    for url in (
        CONTACTS,
        CONTACTS_PDF,
        CONTACT_CREATE,
        edit_url(kim),
        delete_url(kim),
        AGREEMENTS,
        AGREEMENT_CREATE,
        agreement_edit_url(deal),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reviewed_url(kim)).status_code == 404
    assert client.post(delete_url(kim)).status_code == 404
    assert Contact.objects.filter(pk=kim.pk).exists()


def test_another_units_staff_get_404_and_change_nothing(unit_a, unit_b, login):
    old = timezone.localdate() - timedelta(days=500)
    kim = contact(unit_a, reviewed=old)
    deal = agreement(unit_a)
    client = login(unit_b.coordinator)
    for url in (edit_url(kim), delete_url(kim), agreement_edit_url(deal)):
        assert client.get(url).status_code == 404, url
    assert client.post(reviewed_url(kim)).status_code == 404
    assert client.post(delete_url(kim)).status_code == 404
    response = client.post(
        edit_url(kim),
        {"organisation": unit_a.police.pk, "name": "Kapad", "phone": "1", "last_reviewed_on": ""},
    )
    assert response.status_code == 404
    kim.refresh_from_db()
    assert (kim.name, kim.last_reviewed_on) == ("Kim Kommunpolis", old)
    # B's own list never shows A's contacts, whatever ?enhet= says.
    body = client.get(f"{CONTACTS}?enhet={unit_a.unit.pk}").content.decode()
    assert "Kim Kommunpolis" not in body
    assert "Kim Kommunpolis" not in client.get(CONTACTS_PDF).content.decode("latin-1")
    denied = AccessLogEntry.objects.filter(user=unit_b.coordinator, action="denied")
    assert set(denied.values_list("object_type", flat=True)) == {"contact", "agreement"}
    assert denied.count() == 6


# --- The contact list -------------------------------------------------------------------------


def test_staff_add_edit_and_delete_a_contact(unit_a, login):
    client = login(unit_a.coordinator)
    assert form_values(client.get(CONTACT_CREATE))["last_reviewed_on"] == (
        timezone.localdate().isoformat()
    )
    response = client.post(
        CONTACT_CREATE,
        {
            "organisation": unit_a.school.pk,
            "name": "Sara Skolkurator",
            "function": "Kurator",
            "phone": "08-555 12 34",
            "email": "sara@skolan.example",
            "last_reviewed_on": "2026-01-15",
        },
    )
    assert response.status_code == 302
    assert response.url == f"{CONTACTS}?enhet={unit_a.unit.pk}"
    sara = Contact.objects.get()
    assert (sara.unit, sara.organisation, sara.last_reviewed_on) == (
        unit_a.unit,
        unit_a.school,
        date(2026, 1, 15),
    )
    body = client.get(CONTACTS).content.decode()
    for text in ("Skolan Alfa", "Sara Skolkurator", "Kurator", "08-555 12 34", "2026-01-15"):
        assert text in body, text

    values = form_values(client.get(edit_url(sara)))
    assert values["name"] == "Sara Skolkurator"
    values["function"] = "Skolkurator"
    assert client.post(edit_url(sara), values).status_code == 302
    sara.refresh_from_db()
    assert sara.function == "Skolkurator"

    confirm = client.get(delete_url(sara))
    assert "Vill du ta bort Sara Skolkurator (Skolan Alfa)" in confirm.content.decode()
    assert Contact.objects.exists()
    assert client.post(delete_url(sara)).status_code == 302
    assert not Contact.objects.exists()
    actions = list(
        AccessLogEntry.objects.filter(object_type="contact")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "view", "change", "view", "change"]
    assert AccessLogEntry.objects.filter(object_type="contact_list", action="search").exists()


def test_invalid_contact_is_explained_in_swedish_and_the_input_kept(unit_a, login):
    client = login(unit_a.coordinator)
    response = client.post(
        CONTACT_CREATE,
        {
            "organisation": unit_a.police.pk,
            "name": "Kim Kommunpolis",
            "function": "Kommunpolis",
            "email": "inte-en-adress",
            "last_reviewed_on": "igår",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ange en giltig e-postadress" in body
    assert "Ange ett giltigt datum (åååå-mm-dd)." in body
    values = form_values(response)
    assert values["name"] == "Kim Kommunpolis"
    assert values["function"] == "Kommunpolis"
    assert values["organisation"] == str(unit_a.police.pk)
    # Neither phone nor e-mail, and a day in the future: the service's rules.
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        CONTACT_CREATE,
        {
            "organisation": unit_a.police.pk,
            "name": "Kim Kommunpolis",
            "last_reviewed_on": tomorrow.isoformat(),
        },
    )
    body = response.content.decode()
    assert "Ange telefonnummer eller e-postadress." in body
    assert "Datumet kan inte ligga i framtiden." in body
    assert form_values(response)["last_reviewed_on"] == tomorrow.isoformat()
    response = client.post(CONTACT_CREATE, {"last_reviewed_on": "2026-01-01"})
    body = response.content.decode()
    assert "Välj organisation." in body and "Ange kontaktpersonens namn." in body
    assert not Contact.objects.exists()


def test_contacts_not_reviewed_for_the_units_months_are_marked(unit_a, login, frozen):
    frozen(date(2026, 6, 15))
    contact(unit_a, "Ny Kontakt", reviewed=date(2025, 6, 15))  # exactly 12 months: not yet
    contact(unit_a, "Gammal Kontakt", reviewed=date(2025, 6, 14))
    client = login(unit_a.coordinator)
    response = client.get(CONTACTS)
    due = {row.contact.name: row.due for row in response.context["rows"]}
    assert due == {"Gammal Kontakt": True, "Ny Kontakt": False}
    body = response.content.decode()
    assert body.count("ska ses över</span>") == 1
    assert "1 kontakt ska ses över." in body
    # A unit that reviews every six months marks both.
    unit_a.unit.contact_review_months = 6
    unit_a.unit.save()
    response = client.get(CONTACTS)
    assert all(row.due for row in response.context["rows"])


def test_marking_a_contact_as_reviewed_uses_today(unit_a, login, frozen):
    frozen(date(2026, 6, 15))
    old = contact(unit_a, "Gammal Kontakt", reviewed=date(2024, 1, 10))
    client = login(unit_a.investigator)
    assert client.get(reviewed_url(old)).status_code == 405  # a change is a POST
    response = client.post(reviewed_url(old))
    assert response.status_code == 302
    assert response.url == f"{CONTACTS}?enhet={unit_a.unit.pk}"
    old.refresh_from_db()
    assert old.last_reviewed_on == date(2026, 6, 15)
    response = client.get(CONTACTS)
    assert not any(row.due for row in response.context["rows"])
    assert "Gammal Kontakt är markerad som kontrollerad i dag." in response.content.decode()
    entry = AccessLogEntry.objects.get(object_type="contact", action="change")
    assert entry.detail == "reviewed=2026-06-15"
    assert entry.unit_id == unit_a.unit.pk


def test_the_contact_list_prints_as_appendix_1(unit_a, login, frozen):
    frozen(date(2026, 6, 15))
    contact(
        unit_a,
        "Kim Kommunpolis",
        function="Kommunpolis",
        email="kim@polisen.example",
        reviewed=date(2026, 2, 1),
    )
    contact(
        unit_a,
        "Sara Skolkurator",
        organisation=unit_a.school,
        function="Kurator",
        reviewed=date(2024, 2, 1),
    )
    response = login(unit_a.coordinator).get(CONTACTS_PDF)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "kontaktlista-2026-06-15.pdf" in response["Content-Disposition"]
    pages = PdfReader(BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    for expected in (
        "Kontaktlista för samverkan",
        unit_a.unit.name,
        "Organisation",
        "Kontaktperson",
        "Funktion",
        "Telefon",
        "E-post",
        "Senast kontrollerad",
        "Polisen Alfa",
        "Kim Kommunpolis",
        "kim@polisen.example",
        "2026-02-01",
        "Skolan Alfa",
        "Sara Skolkurator",
        "2024-02-01 *",
        "Uppgiften ska ses över.",
    ):
        assert expected in text, expected
    entry = AccessLogEntry.objects.get(object_type="contact_list", action="print")
    assert entry.unit_id == unit_a.unit.pk


def test_contact_list_runs_a_fixed_number_of_queries(unit_a, login, django_assert_max_num_queries):
    client = login(unit_a.coordinator)
    organisations = (unit_a.police, unit_a.school, unit_a.social)

    def add(count, start):
        for n in range(start, start + count):
            contact(
                unit_a,
                f"Kontakt {n}",
                organisation=organisations[n % 3],
                reviewed=timezone.localdate() - timedelta(days=60 * n),
            )

    add(3, 0)
    client.get(CONTACTS)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(CONTACTS).context["rows"]) == 3
    add(9, 3)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(CONTACTS).context["rows"]) == 12
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    with django_assert_max_num_queries(20):
        client.get(CONTACTS)


# --- Agreements and the situation picture -----------------------------------------------------


def test_staff_add_and_edit_agreements_and_overdue_ones_are_marked(unit_a, login):
    client = login(unit_a.supervisor)
    response = client.post(
        AGREEMENT_CREATE,
        {
            "kind": "situation",
            "title": "Lokal lägesbild 2025",
            "parties": "Socialtjänsten, polisen, skolan",
            "summary": "Ökad rekrytering vid centrum.",
            "dated_on": "2025-01-10",
            "review_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert response.url == f"{AGREEMENTS}?enhet={unit_a.unit.pk}"
    situation = Agreement.objects.get()
    agreement(unit_a, title="Samverkansavtal skolan", review_in=5)
    agreement(unit_a, title="Samverkansavtal polisen", review_in=200)

    body = client.get(AGREEMENTS).content.decode()
    for text in (
        "Samverkansöverenskommelse",
        "Lägesbild",
        "Lokal lägesbild 2025",
        "2025-01-10",
        "Ökad rekrytering vid centrum.",
        "Samverkansavtal polisen",
    ):
        assert text in body, text
    assert body.count("Försenad översyn") == 1
    assert body.count("Ses över snart") == 1

    values = form_values(client.get(agreement_edit_url(situation)))
    assert values["title"] == "Lokal lägesbild 2025"
    values["review_on"] = (timezone.localdate() + timedelta(days=700)).isoformat()
    assert client.post(agreement_edit_url(situation), values).status_code == 302
    situation.refresh_from_db()
    assert situation.review_on == timezone.localdate() + timedelta(days=700)
    assert "Försenad översyn" not in client.get(AGREEMENTS).content.decode()
    actions = list(
        AccessLogEntry.objects.filter(object_type="agreement", object_id=str(situation.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "view", "change"]


def test_invalid_agreement_is_explained_in_swedish_and_the_input_kept(unit_a, login):
    client = login(unit_a.coordinator)
    response = client.post(
        AGREEMENT_CREATE,
        {
            "kind": "agreement",
            "title": "Avtal med fritid",
            "parties": "Fritidsförvaltningen",
            "dated_on": "2026-03-01",
            "review_on": "2026-02-01",
        },
    )
    assert response.status_code == 200
    assert "Översynen ska ligga efter dateringen." in response.content.decode()
    values = form_values(response)
    assert (values["title"], values["parties"], values["kind"]) == (
        "Avtal med fritid",
        "Fritidsförvaltningen",
        "agreement",
    )
    response = client.post(AGREEMENT_CREATE, {"parties": "X"})
    body = response.content.decode()
    for message in (
        "Välj om det är en överenskommelse eller en lägesbild.",
        "Ange en rubrik.",
        "Ange när dokumentet är daterat.",
        "Ange när dokumentet senast ska ses över.",
    ):
        assert message in body, message
    assert not Agreement.objects.exists()


# --- The reminder -----------------------------------------------------------------------------


@pytest.fixture
def reachable(unit_a, unit_b):
    for world in (unit_a, unit_b):
        for user in (world.supervisor, world.supervisor_without_delegation, world.coordinator):
            user.email = f"{user.username}@example.org"
            user.save()
    return unit_a


def test_supervisors_are_reminded_once_before_the_review(reachable, unit_b, mailoutbox):
    today = timezone.localdate()
    due = agreement(reachable, title="Avtal som snart ses över", review_in=REMIND_DAYS_BEFORE)
    overdue = agreement(reachable, title="Lägesbild", kind="situation", review_in=-3)
    agreement(reachable, title="Avtal långt fram", review_in=REMIND_DAYS_BEFORE + 1)
    agreement(unit_b, title="Betas avtal", review_in=400)

    assert remind_reviews(today) == 2
    deliver()
    assert len(mailoutbox) == 2
    by_subject = {message.subject: message for message in mailoutbox}
    message = by_subject["Samverkansöverenskommelse ska ses över: Avtal som snart ses över"]
    assert message.to == sorted(
        [reachable.supervisor.email, reachable.supervisor_without_delegation.email]
    )
    assert due.review_on.isoformat() in message.body
    assert "Lägesbild ska ses över: Lägesbild" in by_subject
    for item in (due, overdue):
        item.refresh_from_db()
        assert item.review_reminded_on == today

    # Idempotent: running again (the same day or later) sends nothing more.
    assert remind_reviews(today) == 0
    assert remind_reviews(today + timedelta(days=1)) == 1  # "långt fram" is now within 14 days
    assert remind_reviews(today + timedelta(days=2)) == 0
    deliver()
    assert len(mailoutbox) == 3


def test_a_new_review_date_is_reminded_again(reachable, unit_b, mailoutbox):
    today = timezone.localdate()
    deal = agreement(reachable, review_in=3)
    assert remind_reviews(today) == 1
    values = {
        "kind": deal.kind,
        "title": deal.title,
        "parties": deal.parties,
        "summary": deal.summary,
        "dated_on": deal.dated_on,
    }
    # Saving without changing the date keeps the mark.
    services.agreement_save(
        unit=reachable.unit,
        by=reachable.coordinator,
        agreement=deal,
        review_on=deal.review_on,
        **values,
    )
    assert remind_reviews(today) == 0
    services.agreement_save(
        unit=reachable.unit,
        by=reachable.coordinator,
        agreement=deal,
        review_on=today + timedelta(days=10),
        **values,
    )
    deal.refresh_from_db()
    assert deal.review_reminded_on is None
    assert remind_reviews(today) == 1
    deliver()
    assert len(mailoutbox) == 2


def test_without_a_supervisor_address_the_reminder_waits(unit_a, mailoutbox):
    today = timezone.localdate()
    deal = agreement(unit_a, review_in=3)
    assert remind_reviews(today) == 0
    deal.refresh_from_db()
    assert deal.review_reminded_on is None
    unit_a.supervisor.email = "chef@example.org"
    unit_a.supervisor.save()
    assert remind_reviews(today) == 1
    deliver()
    assert mailoutbox[0].to == ["chef@example.org"]
