"""Meeting mode, minutes and tasks: decisions become tasks with a responsible and a due date,
listed for the responsible until done; a task about a case stays readable to its responsible
only while they may see the case."""

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.consent import services as consent_services
from insats.meetings import selectors_agenda
from insats.meetings.models import AgendaItem, Invitation, Meeting, Task
from insats.meetings.views import agenda as agenda_views
from tests import builders
from tests.conftest import FormReader

A_MINUTES = "Protokoll A: praktik på Kvarnbyns verkstad"
A_TASK = "Boka möte med Kvarnbyns verkstad om praktiken"
B_TASK = "Kontakta Snöbacka om rymningen"
GENERAL_MINUTES = "Allmänt: lugn Valborg i parken"


class Meet:
    """A meeting of unit A: case A (police in the group under consent), case B (no consent for
    the police), a general item; the police partner and a school partner are invited."""

    def __init__(self, world):
        self.world = world
        self.case_a = builders.identified_case(world)
        builders.police_member(world, self.case_a)
        self.consent_a = builders.consent(world, self.case_a)
        self.case_b = builders.identified_case(world, age=23)
        builders.police_member(world, self.case_b)
        self.school = builders.school_user(world)
        starts = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
        self.meeting = Meeting.objects.create(
            unit=world.unit,
            kind=Meeting.Kind.OPERATIONAL,
            title="Operativ ledningsgrupp",
            starts_at=starts + timedelta(hours=9),
            ends_at=starts + timedelta(hours=11),
            place="Kvarnbyns polisstation",
            convener=world.coordinator,
            created_by=world.coordinator,
        )
        for user, organisation in ((world.partner, world.police), (self.school, world.school)):
            Invitation.objects.create(meeting=self.meeting, user=user, organisation=organisation)
        by = world.coordinator
        self.item_a = AgendaItem.objects.create(
            meeting=self.meeting,
            part="individual",
            case=self.case_a,
            title=self.case_a.alias,
            registered_by=by,
        )
        self.item_b = AgendaItem.objects.create(
            meeting=self.meeting,
            part="individual",
            position=1,
            case=self.case_b,
            title=self.case_b.alias,
            registered_by=by,
        )
        self.item_g = AgendaItem.objects.create(
            meeting=self.meeting, part="general", title="Valborg", registered_by=by
        )

    def mode_url(self, number: int | None = None) -> str:
        url = reverse("meeting_mode", args=[self.meeting.pk])
        return url if number is None else f"{url}?punkt={number}"


@pytest.fixture
def meet(unit_a) -> Meet:
    return Meet(unit_a)


def post_body(client, url, **changes) -> dict:
    """What the browser would submit from the page, with `changes` applied."""
    reader = FormReader()
    reader.feed(client.get(url).content.decode())
    data = {name: values[-1] for name, values in reader.values.items()}
    data.pop("csrfmiddlewaretoken", None)
    data.update(changes)
    return data


def task_row(index: int, description: str, responsible, due_on: date) -> dict:
    return {
        f"tasks-{index}-description": description,
        f"tasks-{index}-responsible": str(responsible.pk) if responsible else "",
        f"tasks-{index}-due_on": due_on.isoformat() if due_on else "",
    }


# --- Meeting mode -------------------------------------------------------------------------------


def test_meeting_mode_walks_the_agenda_item_by_item(meet, login):
    client = login(meet.world.coordinator)
    first = client.get(meet.mode_url()).content.decode()
    assert "Steg 1 av 4" in first
    assert meet.case_a.alias in first
    assert "?punkt=2" in first  # next
    third = client.get(meet.mode_url(3)).content.decode()
    assert "Valborg" in third and "?punkt=2" in third and "?punkt=4" in third
    last = client.get(meet.mode_url(4)).content.decode()
    assert "Protokoll, allmän del" in last
    assert client.get(meet.mode_url(5)).status_code == 404
    assert client.get(meet.mode_url(0)).status_code == 404
    assert client.get(meet.mode_url() + "?punkt=x").status_code == 404


def test_minutes_and_tasks_are_saved_per_item(meet, login):
    client = login(meet.world.coordinator)
    due = timezone.localdate() + timedelta(days=7)
    data = post_body(
        client,
        meet.mode_url(1),
        minutes=A_MINUTES,
        nasta="1",
        **task_row(0, A_TASK, meet.world.partner, due),
    )
    response = client.post(meet.mode_url(1), data)
    assert response.status_code == 302
    assert response.url.endswith("?punkt=2")
    meet.item_a.refresh_from_db()
    assert meet.item_a.minutes == A_MINUTES
    task = Task.objects.get(item=meet.item_a)
    assert (task.description, task.responsible, task.due_on) == (A_TASK, meet.world.partner, due)
    assert task.created_by == meet.world.coordinator
    assert AccessLogEntry.objects.filter(
        object_type="task", action="create", object_id=str(task.pk), case_id=meet.case_a.pk
    ).exists()
    assert AccessLogEntry.objects.filter(
        object_type="agenda_item", action="change", case_id=meet.case_a.pk
    ).exists()
    # The item shows its task again when reopened; changing and removing it works.
    page = client.get(meet.mode_url(1)).content.decode()
    assert A_TASK in page and A_MINUTES in page
    data = post_body(client, meet.mode_url(1), **{"tasks-0-description": "Ändrad uppgift"})
    assert client.post(meet.mode_url(1), data).status_code == 302
    task.refresh_from_db()
    assert task.description == "Ändrad uppgift"
    data = post_body(client, meet.mode_url(1), **{"tasks-0-DELETE": "on"})
    assert client.post(meet.mode_url(1), data).status_code == 302
    assert not Task.objects.filter(pk=task.pk).exists()


def test_general_minutes_go_to_the_meeting(meet, login):
    client = login(meet.world.coordinator)
    due = timezone.localdate() + timedelta(days=3)
    data = post_body(
        client,
        meet.mode_url(4),
        minutes=GENERAL_MINUTES,
        **task_row(0, "Beställa fler nattvandrare", meet.school, due),
    )
    assert client.post(meet.mode_url(4), data).status_code == 302
    meet.meeting.refresh_from_db()
    assert meet.meeting.general_minutes == GENERAL_MINUTES
    task = Task.objects.get(meeting=meet.meeting, item__isnull=True)
    assert task.responsible == meet.school
    # Everyone at the meeting reads the general part and its tasks.
    html = login(meet.school).get(reverse("agenda", args=[meet.meeting.pk])).content.decode()
    assert GENERAL_MINUTES in html and "Beställa fler nattvandrare" in html


def test_partly_filled_task_row_gives_swedish_messages_and_keeps_the_input(meet, login):
    client = login(meet.world.coordinator)
    data = post_body(
        client,
        meet.mode_url(1),
        minutes="Mitt protokoll",
        **task_row(0, "Halvfärdig uppgift", None, None),
    )
    response = client.post(meet.mode_url(1), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Välj vem som ansvarar för uppgiften." in html
    assert "Ange när uppgiften ska vara klar." in html
    assert "Halvfärdig uppgift" in html and "Mitt protokoll" in html
    data.update(task_row(0, "", meet.world.partner, timezone.localdate()))
    html = client.post(meet.mode_url(1), data).content.decode()
    assert "Beskriv beslutet eller uppgiften." in html
    assert not Task.objects.exists()
    meet.item_a.refresh_from_db()
    assert meet.item_a.minutes == ""


def test_responsible_must_be_able_to_see_the_case(meet, login):
    """A task about case B cannot go to the police partner: no consent covers the police."""
    client = login(meet.world.coordinator)
    data = post_body(
        client,
        meet.mode_url(2),
        minutes="Protokoll B",
        **task_row(0, B_TASK, meet.world.partner, timezone.localdate()),
    )
    response = client.post(meet.mode_url(2), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "kan inte se ärendet och kan därför inte få en uppgift i det" in html
    assert B_TASK in html
    assert not Task.objects.exists()
    data.update(task_row(0, B_TASK, meet.world.investigator, timezone.localdate()))
    assert client.post(meet.mode_url(2), data).status_code == 302
    assert Task.objects.get().responsible == meet.world.investigator


def test_responsible_must_be_invited_or_unit_staff(meet, unit_b, login):
    client = login(meet.world.coordinator)
    data = post_body(client, meet.mode_url(3), **task_row(0, "X", unit_b.coordinator, date.today()))
    response = client.post(meet.mode_url(3), data)
    assert response.status_code == 200
    assert "Välj en ansvarig i listan." in response.content.decode()
    assert not Task.objects.exists()


def test_partners_have_no_meeting_mode(meet, login, unit_b):
    for user in (meet.world.partner, meet.school, unit_b.coordinator):
        client = login(user)
        assert client.get(meet.mode_url(1)).status_code == 404
        assert client.post(meet.mode_url(1), {"minutes": "Intrång"}).status_code == 404
    meet.item_a.refresh_from_db()
    assert meet.item_a.minutes == ""


def test_a_convener_from_a_partner_sees_only_their_items(meet, login):
    Meeting.objects.filter(pk=meet.meeting.pk).update(convener=meet.world.partner)
    client = login(meet.world.partner)
    page = client.get(meet.mode_url(2)).content.decode()
    assert meet.case_b.alias not in page
    assert "Ärende (avidentifierat)" in page
    assert 'name="minutes"' not in page
    response = client.post(meet.mode_url(2), {"minutes": "Protokoll om B", "tasks-TOTAL_FORMS": 0})
    assert response.status_code == 404
    meet.item_b.refresh_from_db()
    assert meet.item_b.minutes == ""
    assert meet.case_a.alias in client.get(meet.mode_url(1)).content.decode()


# --- My tasks -----------------------------------------------------------------------------------


def make_task(meet, agenda_item, description, responsible, due_on) -> Task:
    return Task.objects.create(
        meeting=meet.meeting,
        item=agenda_item,
        description=description,
        responsible=responsible,
        due_on=due_on,
        created_by=meet.world.coordinator,
    )


FROZEN = date(2030, 5, 15)


def test_my_tasks_lists_open_tasks_with_overdue_highlighted(meet, login, monkeypatch):
    monkeypatch.setattr(agenda_views, "_today", lambda: FROZEN)
    late = make_task(meet, meet.item_a, A_TASK, meet.world.partner, FROZEN - timedelta(days=1))
    due = make_task(meet, meet.item_g, "Affischer till Valborg", meet.world.partner, FROZEN)
    make_task(meet, meet.item_g, "Någon annans uppgift", meet.school, FROZEN)
    done = make_task(meet, meet.item_g, "Redan gjord", meet.world.partner, FROZEN)
    done.done_on = FROZEN
    done.save()
    client = login(meet.world.partner)
    html = client.get(reverse("my_tasks")).content.decode()
    assert A_TASK in html and "Affischer till Valborg" in html
    assert "Någon annans uppgift" not in html and "Redan gjord" not in html
    overdue_section = html.split('id="overdue-tasks-title"')[1].split("</section>")[0]
    assert A_TASK in overdue_section and "Försenad" in overdue_section
    assert "Affischer till Valborg" not in overdue_section
    rows = selectors_agenda.open_tasks(meet.world.partner, FROZEN)
    assert [(r.task.pk, r.overdue) for r in rows] == [(late.pk, True), (due.pk, False)]
    assert AccessLogEntry.objects.filter(
        user=meet.world.partner, object_type="task", action="search"
    ).exists()


def test_task_of_a_case_is_de_identified_once_the_consent_is_revoked(meet, login):
    make_task(meet, meet.item_a, A_TASK, meet.world.partner, timezone.localdate())
    client = login(meet.world.partner)
    assert A_TASK in client.get(reverse("my_tasks")).content.decode()
    consent_services.consent_revoke(
        consent=meet.consent_a,
        by=meet.world.coordinator,
        revoked_on=timezone.localdate(),
        how="Per telefon",
    )
    html = client.get(reverse("my_tasks")).content.decode()
    assert A_TASK not in html
    assert meet.case_a.alias not in html
    assert "Uppgift i ett ärende (avidentifierad)" in html


def test_responsible_marks_done_and_the_task_leaves_the_list(meet, login):
    task = make_task(meet, meet.item_a, A_TASK, meet.world.partner, timezone.localdate())
    client = login(meet.world.partner)
    assert client.get(reverse("task_done", args=[task.pk])).status_code == 405
    response = client.post(reverse("task_done", args=[task.pk]))
    assert response.status_code == 302 and response.url == reverse("my_tasks")
    task.refresh_from_db()
    assert task.done_on == timezone.localdate()
    assert A_TASK not in client.get(reverse("my_tasks")).content.decode()
    assert AccessLogEntry.objects.filter(
        object_type="task", action="change", object_id=str(task.pk), detail__contains="done"
    ).exists()


def test_only_the_responsible_or_unit_staff_mark_done(meet, unit_b, login):
    task = make_task(meet, meet.item_g, "Affischer", meet.world.partner, timezone.localdate())
    for user in (meet.school, unit_b.coordinator, unit_b.partner):
        assert login(user).post(reverse("task_done", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.done_on is None
    client = login(meet.world.investigator)
    response = client.post(reverse("task_done", args=[task.pk]), {"tillbaka": "dagordning"})
    assert response.url == reverse("agenda", args=[meet.meeting.pk])
    task.refresh_from_db()
    assert task.done_on is not None


def test_tasks_flow_from_meeting_mode_to_done(meet, login):
    coordinator = login(meet.world.coordinator)
    due = timezone.localdate() + timedelta(days=10)
    data = post_body(coordinator, meet.mode_url(1), **task_row(0, A_TASK, meet.world.partner, due))
    assert coordinator.post(meet.mode_url(1), data).status_code == 302
    partner = login(meet.world.partner)
    html = partner.get(reverse("my_tasks")).content.decode()
    assert A_TASK in html
    task = Task.objects.get()
    partner.post(reverse("task_done", args=[task.pk]))
    agenda_html = partner.get(reverse("agenda", args=[meet.meeting.pk])).content.decode()
    assert "Klar " in agenda_html


def test_the_start_page_include_lists_open_tasks(meet, rf):
    make_task(meet, meet.item_a, A_TASK, meet.world.partner, timezone.localdate() - timedelta(1))
    make_task(meet, meet.item_b, B_TASK, meet.world.partner, timezone.localdate())
    rows = selectors_agenda.open_tasks(meet.world.partner, timezone.localdate())
    request = rf.get("/")
    request.user = meet.world.partner
    html = render_to_string(
        "meetings/includes/my_tasks.html", {"rows": rows, "hide_empty": True}, request=request
    )
    assert A_TASK in html and "Försenad" in html
    assert B_TASK not in html  # the police may not see case B
    assert "Uppgift i ett ärende (avidentifierad)" in html
    assert meet.case_b.alias not in html
    empty = render_to_string(
        "meetings/includes/my_tasks.html", {"rows": [], "hide_empty": True}, request=request
    )
    assert not empty.strip()


def test_my_tasks_runs_a_constant_number_of_queries(meet, login, django_assert_max_num_queries):
    client = login(meet.world.partner)
    for n in range(2):
        make_task(meet, meet.item_a, f"Uppgift {n}", meet.world.partner, timezone.localdate())
    client.get(reverse("my_tasks"))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("my_tasks"))
    for n in range(8):
        agenda_item = meet.item_b if n % 2 else meet.item_g
        make_task(meet, agenda_item, f"Fler {n}", meet.world.partner, timezone.localdate())
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        client.get(reverse("my_tasks"))


def test_minutes_go_to_the_item_the_form_was_opened_for(meet, login):
    """Someone reorders the agenda while minutes are typed: they still land on item A."""
    client = login(meet.world.coordinator)
    data = post_body(client, meet.mode_url(1), minutes=A_MINUTES)
    move = reverse("agenda_item_move", args=[meet.meeting.pk, meet.item_b.pk])
    assert client.post(move, {"riktning": "upp"}).status_code == 302
    response = client.post(meet.mode_url(1), data)
    assert response.status_code == 302
    assert response.url.endswith("?punkt=2")  # item A's number now
    meet.item_a.refresh_from_db()
    meet.item_b.refresh_from_db()
    assert (meet.item_a.minutes, meet.item_b.minutes) == (A_MINUTES, "")
    # An item removed meanwhile: nothing is saved anywhere, and the user is told.
    data = post_body(client, meet.mode_url(1), minutes="Om B")
    meet.item_b.delete()
    response = client.post(meet.mode_url(1), data, follow=True)
    assert "Punkten finns inte längre på dagordningen." in response.content.decode()
    meet.item_a.refresh_from_db()
    assert meet.item_a.minutes == A_MINUTES
