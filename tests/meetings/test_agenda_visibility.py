"""The agenda in three parts, read item by item under each item's own rule.

An item about a case shows its title, preparation, minutes and tasks only to those who may see
the case (its group members under a covering consent, the unit's social-services staff);
everyone else sees it de-identified: the item number, not the alias, not the age, no minutes.
Returnee items are for the unit's staff; the general part is for everyone at the meeting.
"""

from datetime import datetime, timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from insats.access.models import AccessLogEntry
from insats.cases.models import Case
from insats.casework.models import Returnee
from insats.consent import services as consent_services
from insats.consent.models import Consent
from insats.meetings import selectors_agenda
from insats.meetings.models import AgendaItem, Invitation, Meeting, Task
from tests import builders

A_PREP = "Underlag om Sixten och fotbollen"
A_MINUTES = "Protokoll A: praktik på Kvarnbyns verkstad"
B_PREP = "Underlag om Snöbacka och rymningen"
B_MINUTES = "Protokoll B: hot från Kvarnbygänget"
RETURNEE_TITLE = "Hemkomst för Algot Rimfrost"
RETURNEE_MINUTES = "Protokoll återvändare: boende ordnat"
GENERAL_TITLE = "Valborg i Kvarnbyparken"
GENERAL_MINUTES = "Valborg: extra vandring med föräldrar"
MEETING_MINUTES = "Allmänt protokoll: lugnt i området"


def make_meeting(world, **fields) -> Meeting:
    starts = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    starts += timedelta(hours=13)
    fields.setdefault("kind", Meeting.Kind.OPERATIONAL)
    fields.setdefault("title", "Operativ ledningsgrupp")
    return Meeting.objects.create(
        unit=world.unit,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="Kvarnbyns polisstation",
        convener=world.coordinator,
        created_by=world.coordinator,
        **fields,
    )


def item(meeting, part, position, by, **fields) -> AgendaItem:
    return AgendaItem.objects.create(
        meeting=meeting, part=part, position=position, registered_by=by, **fields
    )


class Setup:
    """A meeting of unit A with two cases on its agenda, a returnee and a general item.

    Case A: the police partner is in the group and a consent covers the police; the school is
    in the group too but no consent covers it. Case B: the police partner is in the group but
    B's consent covers only the school (which is not in B's group).
    """

    def __init__(self, world):
        self.world = world
        self.case_a = builders.identified_case(world, age=19)
        builders.police_member(world, self.case_a)
        builders.school_member(world, self.case_a)
        self.consent_a = builders.consent(world, self.case_a)
        self.case_b = builders.identified_case(world, age=23)
        builders.police_member(world, self.case_b)
        builders.consent(world, self.case_b, organisations=[world.school])
        self.school = builders.school_user(world)
        self.meeting = make_meeting(world)
        for user, organisation in ((world.partner, world.police), (self.school, world.school)):
            Invitation.objects.create(meeting=self.meeting, user=user, organisation=organisation)
        by = world.coordinator
        self.item_a = item(
            self.meeting,
            AgendaItem.Part.INDIVIDUAL,
            0,
            by,
            case=self.case_a,
            title=self.case_a.alias,
            preparation=A_PREP,
            minutes=A_MINUTES,
        )
        self.item_b = item(
            self.meeting,
            AgendaItem.Part.INDIVIDUAL,
            1,
            by,
            case=self.case_b,
            title=self.case_b.alias,
            preparation=B_PREP,
            minutes=B_MINUTES,
        )
        self.returnee = Returnee.objects.create(
            unit=world.unit,
            kind=Returnee.Kind.SIS,
            name="Algot Rimfrost",
            age=17,
            institution="Snöbacka gård",
            expected_on=timezone.localdate() + timedelta(days=20),
            recorded_by=by,
        )
        self.item_r = item(
            self.meeting,
            AgendaItem.Part.RETURNEES,
            0,
            by,
            returnee=self.returnee,
            title=RETURNEE_TITLE,
            minutes=RETURNEE_MINUTES,
        )
        self.item_g = item(
            self.meeting,
            AgendaItem.Part.GENERAL,
            0,
            by,
            title=GENERAL_TITLE,
            minutes=GENERAL_MINUTES,
        )
        self.meeting.general_minutes = MEETING_MINUTES
        self.meeting.save()

    @property
    def agenda_url(self) -> str:
        return reverse("agenda", args=[self.meeting.pk])

    def pdf_url(self, agenda_item) -> str:
        return reverse("agenda_item_pdf", args=[self.meeting.pk, agenda_item.pk])

    def a_strings(self) -> list[str]:
        return [self.case_a.alias, self.case_a.number, A_PREP, A_MINUTES, "19 år"]

    def b_strings(self) -> list[str]:
        return [self.case_b.alias, self.case_b.number, B_PREP, B_MINUTES, "23 år"]

    def returnee_strings(self) -> list[str]:
        return [RETURNEE_TITLE, RETURNEE_MINUTES, "Algot", "Snöbacka gård"]


@pytest.fixture
def setup(unit_a) -> Setup:
    return Setup(unit_a)


def html_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def assert_absent(html: str, strings) -> None:
    leaked = [s for s in strings if s in html]
    assert not leaked, f"shown although it must not be: {leaked}"


def assert_present(html: str, strings) -> None:
    missing = [s for s in strings if s not in html]
    assert not missing, f"missing: {missing}"


# --- Per-item visibility ------------------------------------------------------------------------


def test_police_member_sees_own_case_in_full_and_the_other_de_identified(setup, login):
    html = html_of(login(setup.world.partner), setup.agenda_url)
    assert_present(html, [setup.case_a.alias, A_PREP, A_MINUTES, GENERAL_TITLE, GENERAL_MINUTES])
    assert_present(html, [MEETING_MINUTES])
    assert_absent(html, setup.b_strings())
    assert_absent(html, setup.returnee_strings())
    assert "2. Ärende (avidentifierat)" in html
    assert "3. Återvändare (avidentifierad)" in html
    assert setup.case_b.person.last_name not in html  # no names on the agenda at all
    # Item B is not even addressable from the page.
    assert f"/punkt/{setup.item_b.pk}/" not in html
    assert f'id="punkt-{setup.item_b.pk}"' not in html


def test_school_attendee_without_consent_sees_both_cases_de_identified(setup, login):
    html = html_of(login(setup.school), setup.agenda_url)
    assert_absent(html, setup.a_strings() + setup.b_strings() + setup.returnee_strings())
    assert html.count("Ärende (avidentifierat)") == 2
    assert_present(html, [GENERAL_TITLE, GENERAL_MINUTES, MEETING_MINUTES])


def test_revoked_consent_de_identifies_the_item_at_once(setup, login):
    client = login(setup.world.partner)
    assert setup.case_a.alias in html_of(client, setup.agenda_url)
    consent_services.consent_revoke(
        consent=setup.consent_a,
        by=setup.world.coordinator,
        revoked_on=timezone.localdate(),
        how="Muntligt vid möte",
    )
    html = html_of(client, setup.agenda_url)
    assert_absent(html, setup.a_strings() + setup.b_strings())
    assert html.count("Ärende (avidentifierat)") == 2
    assert client.get(setup.pdf_url(setup.item_a)).status_code == 404


def test_expired_consent_de_identifies_the_item(setup, login):
    today = timezone.localdate()
    Consent.objects.filter(pk=setup.consent_a.pk).update(
        valid_from=today - timedelta(days=400), valid_until=today - timedelta(days=1)
    )
    html = html_of(login(setup.world.partner), setup.agenda_url)
    assert_absent(html, setup.a_strings() + setup.b_strings())
    assert html.count("Ärende (avidentifierat)") == 2


def test_consent_not_yet_valid_de_identifies_the_item(setup, login):
    today = timezone.localdate()
    Consent.objects.filter(pk=setup.consent_a.pk).update(
        valid_from=today + timedelta(days=1), valid_until=today + timedelta(days=300)
    )
    html = html_of(login(setup.world.partner), setup.agenda_url)
    assert_absent(html, setup.a_strings())


def test_member_removed_from_group_sees_the_item_de_identified(setup, login):
    member = setup.case_a.members.get(user=setup.world.partner)
    consent_services.member_remove(member=member, by=setup.world.coordinator)
    html = html_of(login(setup.world.partner), setup.agenda_url)
    assert_absent(html, setup.a_strings())


@pytest.mark.parametrize("role", ["coordinator", "investigator", "supervisor"])
def test_social_services_staff_see_every_item_and_the_consent_status(setup, login, role):
    html = html_of(login(getattr(setup.world, role)), setup.agenda_url)
    assert_present(html, setup.a_strings() + setup.b_strings() + setup.returnee_strings())
    assert_present(html, [GENERAL_TITLE, GENERAL_MINUTES])
    assert "(avidentifierat)" not in html
    assert "Gällande samtycke" in html
    assert str(setup.world.police) in html  # case A's consent covers the police
    assert str(setup.world.school) in html  # case B's covers the school
    # Editing and meeting mode are offered to the staff.
    assert reverse("agenda_item_edit", args=[setup.meeting.pk, setup.item_b.pk]) in html
    assert reverse("meeting_mode", args=[setup.meeting.pk]) in html


def test_consent_status_says_when_there_is_none(setup, login):
    Consent.objects.filter(case=setup.case_b).update(revoked_on=timezone.localdate())
    html = html_of(login(setup.world.coordinator), setup.agenda_url)
    assert "Inget gällande samtycke" in html


def test_partners_get_no_edit_links(setup, login):
    html = html_of(login(setup.world.partner), setup.agenda_url)
    assert "/andra/" not in html
    assert reverse("meeting_mode", args=[setup.meeting.pk]) not in html


def test_other_unit_and_outsiders_get_404(setup, unit_b, login):
    urls = [
        setup.agenda_url,
        reverse("agenda_item_create", args=[setup.meeting.pk]) + "?del=general",
        reverse("agenda_item_edit", args=[setup.meeting.pk, setup.item_g.pk]),
        reverse("agenda_item_delete", args=[setup.meeting.pk, setup.item_g.pk]),
        reverse("meeting_mode", args=[setup.meeting.pk]),
        setup.pdf_url(setup.item_g),
        reverse("meeting_minutes_pdf", args=[setup.meeting.pk]),
    ]
    for user in (unit_b.coordinator, unit_b.partner, setup.world.leadership):
        client = login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, (user, url)
            assert_absent(response.content.decode(errors="replace"), setup.a_strings())
    denied = AccessLogEntry.objects.filter(user=unit_b.coordinator, action="denied")
    assert denied.filter(object_type="meeting", unit_id=setup.world.unit.pk).exists()


def test_a_partner_not_invited_gets_404(setup, login):
    Invitation.objects.filter(meeting=setup.meeting, user=setup.school).delete()
    assert login(setup.school).get(setup.agenda_url).status_code == 404


def test_item_of_another_meeting_is_404(setup, login):
    other = make_meeting(setup.world, title="Annat möte")
    client = login(setup.world.coordinator)
    url = reverse("agenda_item_edit", args=[other.pk, setup.item_a.pk])
    assert client.get(url).status_code == 404
    url = reverse("agenda_item_pdf", args=[other.pk, setup.item_a.pk])
    assert client.get(url).status_code == 404


def test_meeting_about_a_case_is_seen_only_by_those_who_may_see_the_case(setup, login):
    meeting = make_meeting(setup.world, kind=Meeting.Kind.INDIVIDUAL, case=setup.case_b)
    Invitation.objects.create(
        meeting=meeting, user=setup.world.partner, organisation=setup.world.police
    )
    url = reverse("agenda", args=[meeting.pk])
    assert login(setup.world.partner).get(url).status_code == 404
    assert login(setup.world.coordinator).get(url).status_code == 200


# --- PDFs ---------------------------------------------------------------------------------------


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_item_pdf_for_those_who_may_see_the_item_only(setup, login):
    police = login(setup.world.partner)
    text = pdf_text(police.get(setup.pdf_url(setup.item_a)))
    assert A_MINUTES in text
    assert police.get(setup.pdf_url(setup.item_b)).status_code == 404
    assert police.get(setup.pdf_url(setup.item_r)).status_code == 404
    assert GENERAL_MINUTES in pdf_text(police.get(setup.pdf_url(setup.item_g)))
    school = login(setup.school)
    assert school.get(setup.pdf_url(setup.item_a)).status_code == 404
    assert school.get(setup.pdf_url(setup.item_b)).status_code == 404
    printed = AccessLogEntry.objects.filter(
        user=setup.world.partner, action="print", object_type="agenda_item"
    )
    assert printed.filter(case_id=setup.case_a.pk, object_id=str(setup.item_a.pk)).exists()
    denied = AccessLogEntry.objects.filter(user=setup.school, action="denied")
    assert denied.filter(object_type="agenda_item", case_id=setup.case_a.pk).exists()


def test_staff_print_case_item_pdf(setup, login):
    text = pdf_text(login(setup.world.coordinator).get(setup.pdf_url(setup.item_b)))
    assert B_MINUTES in text


@pytest.mark.parametrize("who", ["coordinator", "partner", "school"])
def test_whole_meeting_pdf_holds_the_general_part_only(setup, login, who):
    user = setup.school if who == "school" else getattr(setup.world, who)
    response = login(user).get(reverse("meeting_minutes_pdf", args=[setup.meeting.pk]))
    text = pdf_text(response)
    assert MEETING_MINUTES in text
    assert GENERAL_MINUTES in text
    assert GENERAL_TITLE in text
    # The list of items is there, de-identified, even for the staff.
    assert text.count("Ärende (avidentifierat)") == 2
    assert "Återvändare (avidentifierad)" in text
    for secret in setup.a_strings() + setup.b_strings() + setup.returnee_strings():
        assert secret not in text, secret
    assert AccessLogEntry.objects.filter(user=user, action="print", object_type="meeting").exists()


# --- Logging and query counts -------------------------------------------------------------------


def test_agenda_read_is_logged_with_the_items_shown(setup, login):
    html_of(login(setup.world.partner), setup.agenda_url)
    entry = AccessLogEntry.objects.filter(
        user=setup.world.partner, object_type="agenda_item", action="view"
    ).latest("pk")
    assert f"items={setup.item_a.pk},{setup.item_g.pk}" in entry.detail
    assert f"cases={setup.case_a.pk}" in entry.detail
    assert str(setup.item_b.pk) not in entry.detail.split("items=")[1].split(" ")[0].split(",")


def _agenda_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _add_items(setup, count):
    world = setup.world
    for n in range(count):
        case = builders.identified_case(world)
        builders.police_member(world, case)
        builders.consent(world, case)
        agenda_item = item(
            setup.meeting,
            AgendaItem.Part.INDIVIDUAL,
            10 + n,
            world.coordinator,
            case=case,
            title=case.alias,
        )
        Task.objects.create(
            meeting=setup.meeting,
            item=agenda_item,
            description=f"Uppgift {n}",
            responsible=world.partner,
            due_on=timezone.localdate(),
            created_by=world.coordinator,
        )
        item(setup.meeting, AgendaItem.Part.GENERAL, 10 + n, world.coordinator, title=f"G{n}")


@pytest.mark.parametrize("who", ["coordinator", "partner", "school"])
def test_agenda_page_runs_a_constant_number_of_queries(setup, login, who):
    user = setup.school if who == "school" else getattr(setup.world, who)
    client = login(user)
    client.get(setup.agenda_url)  # warm up (session, content types)
    few = _agenda_queries(client, setup.agenda_url)  # 4 items
    _add_items(setup, 4)  # 12 items
    many = _agenda_queries(client, setup.agenda_url)
    assert many == few


def test_agenda_two_versus_ten_items(unit_a, login, django_assert_max_num_queries):
    world = unit_a
    meeting = make_meeting(world)
    Invitation.objects.create(meeting=meeting, user=world.partner, organisation=world.police)

    def add(count, start):
        for n in range(count):
            case = builders.identified_case(world)
            builders.police_member(world, case)
            if n % 2:
                builders.consent(world, case)
            item(meeting, "individual", start + n, world.coordinator, case=case, title=case.alias)

    add(2, 0)
    url = reverse("agenda", args=[meeting.pk])
    counts = {}
    for user in (world.coordinator, world.partner):
        client = login(user)
        client.get(url)
        counts[user.pk] = _agenda_queries(client, url)
    add(8, 2)
    assert meeting.items.count() == 10
    for user in (world.coordinator, world.partner):
        client = login(user)
        with django_assert_max_num_queries(counts[user.pk]):
            html = client.get(url).content.decode()
        expected = 10 if user == world.coordinator else 5
        hidden = 0 if user == world.coordinator else 5
        assert html.count("Ärende (avidentifierat)") == hidden
        assert len(selectors_agenda.agenda(user, meeting).shown_rows) == expected


# --- Keeping the agenda -------------------------------------------------------------------------


def create_url(setup, part: str) -> str:
    return reverse("agenda_item_create", args=[setup.meeting.pk]) + f"?del={part}"


def test_staff_register_a_case_item_with_the_alias_as_title(setup, login):
    case = builders.identified_case(setup.world)
    client = login(setup.world.coordinator)
    page = client.get(create_url(setup, "individual"))
    assert page.status_code == 200
    assert case.alias in page.content.decode()
    response = client.post(
        create_url(setup, "individual"), {"case": case.pk, "title": "", "preparation": "Inför"}
    )
    assert response.status_code == 302
    new = AgendaItem.objects.get(meeting=setup.meeting, case=case)
    assert new.title == case.alias
    assert new.position == 2  # after the two individual items
    assert AccessLogEntry.objects.filter(
        object_type="agenda_item", action="create", case_id=case.pk, object_id=str(new.pk)
    ).exists()


def test_a_case_is_on_the_agenda_once(setup, login):
    client = login(setup.world.coordinator)
    response = client.post(
        create_url(setup, "individual"), {"case": setup.case_a.pk, "preparation": "Igen"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ärendet finns redan på dagordningen." in html
    assert "Igen" in html


def test_general_item_needs_a_title_and_keeps_the_input(setup, login):
    client = login(setup.world.coordinator)
    response = client.post(create_url(setup, "general"), {"title": "", "preparation": "Lucia"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Skriv en rubrik för punkten." in html
    assert "Lucia" in html
    response = client.post(create_url(setup, "general"), {"title": "Skolavslutning"})
    assert response.status_code == 302
    assert AgendaItem.objects.filter(part="general", title="Skolavslutning").exists()


def test_returnee_item_from_the_register_or_hand_entered(setup, login):
    client = login(setup.world.coordinator)
    other = Returnee.objects.create(
        unit=setup.world.unit,
        kind=Returnee.Kind.PROBATION,
        name="Rut Vinterek",
        age=20,
        institution="Anstalten Kvarnby",
        expected_on=timezone.localdate() + timedelta(days=5),
        recorded_by=setup.world.coordinator,
    )
    page = client.get(create_url(setup, "returnees")).content.decode()
    assert "Rut Vinterek" in page
    assert client.post(create_url(setup, "returnees"), {"returnee": other.pk}).status_code == 302
    assert AgendaItem.objects.get(returnee=other).title == "Rut Vinterek"
    response = client.post(create_url(setup, "returnees"), {"returnee": "", "title": ""})
    assert "Välj en återvändare eller skriv en rubrik." in response.content.decode()
    response = client.post(create_url(setup, "returnees"), {"title": "Ung på väg hem från SiS"})
    assert response.status_code == 302
    response = client.post(create_url(setup, "returnees"), {"returnee": other.pk})
    assert "Återvändaren finns redan på dagordningen." in response.content.decode()


def test_returnee_of_another_unit_cannot_be_chosen(setup, unit_b, login):
    theirs = Returnee.objects.create(
        unit=unit_b.unit,
        kind=Returnee.Kind.SIS,
        name="Beta Hemlig",
        age=16,
        institution="Någonstans",
        expected_on=timezone.localdate(),
        recorded_by=unit_b.coordinator,
    )
    client = login(setup.world.coordinator)
    assert "Beta Hemlig" not in client.get(create_url(setup, "returnees")).content.decode()
    response = client.post(create_url(setup, "returnees"), {"returnee": theirs.pk})
    assert response.status_code == 200
    assert not AgendaItem.objects.filter(returnee=theirs).exists()


def test_case_of_another_unit_cannot_be_registered(setup, unit_b, login):
    theirs = builders.identified_case(unit_b)
    client = login(setup.world.coordinator)
    page = client.get(create_url(setup, "individual")).content.decode()
    assert f'<option value="{theirs.pk}"' not in page
    response = client.post(create_url(setup, "individual"), {"case": theirs.pk})
    assert response.status_code == 200
    assert not AgendaItem.objects.filter(case=theirs).exists()


def test_unknown_part_is_404(setup, login):
    client = login(setup.world.coordinator)
    assert client.get(create_url(setup, "okand")).status_code == 404
    assert client.get(reverse("agenda_item_create", args=[setup.meeting.pk])).status_code == 404


def test_partner_cannot_add_or_change_items(setup, login):
    client = login(setup.world.partner)
    assert client.post(create_url(setup, "general"), {"title": "Intrång"}).status_code == 404
    edit = reverse("agenda_item_edit", args=[setup.meeting.pk, setup.item_a.pk])
    assert client.post(edit, {"case": setup.case_a.pk, "title": "Ändrad"}).status_code == 404
    delete = reverse("agenda_item_delete", args=[setup.meeting.pk, setup.item_g.pk])
    assert client.post(delete).status_code == 404
    move = reverse("agenda_item_move", args=[setup.meeting.pk, setup.item_b.pk])
    assert client.post(move, {"riktning": "upp"}).status_code == 404
    assert not AgendaItem.objects.filter(title="Intrång").exists()
    setup.item_a.refresh_from_db()
    assert setup.item_a.title == setup.case_a.alias
    assert AgendaItem.objects.filter(pk=setup.item_g.pk).exists()


def test_staff_edit_reorder_and_remove_items(setup, login):
    client = login(setup.world.coordinator)
    edit = reverse("agenda_item_edit", args=[setup.meeting.pk, setup.item_g.pk])
    page = client.get(edit).content.decode()
    assert GENERAL_TITLE in page
    response = client.post(edit, {"title": "Lucia i skolan", "preparation": "Tåget går kl 8"})
    assert response.status_code == 302
    setup.item_g.refresh_from_db()
    assert setup.item_g.title == "Lucia i skolan"

    edit = reverse("agenda_item_edit", args=[setup.meeting.pk, setup.item_b.pk])
    page = client.get(edit).content.decode()
    assert B_PREP in page and f'<option value="{setup.case_b.pk}" selected' in page
    data = {"case": setup.case_b.pk, "title": "", "preparation": "Nytt underlag"}
    assert client.post(edit, data).status_code == 302
    setup.item_b.refresh_from_db()
    assert (setup.item_b.title, setup.item_b.preparation) == (setup.case_b.alias, "Nytt underlag")
    data["case"] = setup.case_a.pk
    assert "Ärendet finns redan på dagordningen." in client.post(edit, data).content.decode()

    move = reverse("agenda_item_move", args=[setup.meeting.pk, setup.item_b.pk])
    assert client.post(move, {"riktning": "upp"}).status_code == 302
    shown = selectors_agenda.agenda(setup.world.coordinator, setup.meeting)
    assert [row.item.pk for row in shown.individual] == [setup.item_b.pk, setup.item_a.pk]
    assert client.get(move).status_code == 405

    delete = reverse("agenda_item_delete", args=[setup.meeting.pk, setup.item_a.pk])
    page = client.get(delete).content.decode()
    assert "Vill du ta bort punkten" in page
    assert AgendaItem.objects.filter(pk=setup.item_a.pk).exists()  # GET only asks
    assert client.post(delete).status_code == 302
    assert not AgendaItem.objects.filter(pk=setup.item_a.pk).exists()
    assert AccessLogEntry.objects.filter(
        object_type="agenda_item", detail__contains="deleted", case_id=setup.case_a.pk
    ).exists()


def test_closed_case_meeting_is_read_only(setup, login):
    meeting = make_meeting(setup.world, kind=Meeting.Kind.INDIVIDUAL, case=setup.case_b)
    Case.objects.filter(pk=setup.case_b.pk).update(state="discharged")
    client = login(setup.world.coordinator)
    assert client.get(reverse("agenda", args=[meeting.pk])).status_code == 200
    url = reverse("agenda_item_create", args=[meeting.pk]) + "?del=general"
    assert client.get(url).status_code == 404
