"""Ending someone's memberships ends their meetings on every channel (issue item 4).

A partner invited to a general meeting and a member of the meeting's group see its page,
agenda, minutes and item PDFs, calendar feed and tasks while they work in the unit. Once their
memberships end (Membership.active=False) every channel answers 404 or leaves the meeting out:
the page, the agenda, meeting mode, both PDFs, the calendar feed, "my tasks" and marking a task
done; and they are no longer mailed invitations or cancellations (nor the calendar files in
them). A deactivated account's feed is a 404 even with its memberships intact.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from insats.access import policy
from insats.access.models import AccessLogEntry
from insats.meetings import selectors_agenda
from insats.meetings import services_meetings as services
from insats.meetings.models import AgendaItem, Group, GroupMember, Meeting, Task
from insats.organisations.models import Membership
from tests import builders
from tests.meetings.test_meetings import at, case_with_group
from tests.outbox.helpers import deliver

GENERAL_TITLE = "Valborg i Kvarnbyparken"
GENERAL_MINUTES = "Valborg: extra vandring med föräldrar"
TASK = "Affischer om Valborg till skolorna"


class Setup:
    """A preparation meeting of unit A: the police partner is invited, the school user sits in
    the meeting's group; a general item with minutes and a task for each of them."""

    def __init__(self, world):
        self.world = world
        self.school = builders.school_user(world)
        for user in (world.coordinator, world.partner, self.school):
            user.email = f"{user.username}@example.org"
            user.save()
        self.group = Group.objects.create(
            unit=world.unit, kind=Group.Kind.PREPARATION, name="Beredningsgruppen"
        )
        GroupMember.objects.create(group=self.group, user=self.school, organisation=world.school)
        starts = at(timezone.localdate() + timedelta(days=3))
        self.meeting = services.meeting_create(
            unit=world.unit,
            by=world.coordinator,
            kind=Meeting.Kind.PREPARATION,
            group=self.group,
            title="Beredningsgruppens möte",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            place="Kvarnbyns polisstation",
            convener=world.coordinator,
            invitees=[services.Invitee(world.partner, organisation=world.police)],
        )
        self.item = AgendaItem.objects.create(
            meeting=self.meeting,
            part=AgendaItem.Part.GENERAL,
            title=GENERAL_TITLE,
            minutes=GENERAL_MINUTES,
            registered_by=world.coordinator,
        )
        self.tasks = {
            user.pk: Task.objects.create(
                meeting=self.meeting,
                item=self.item,
                description=TASK,
                responsible=user,
                due_on=timezone.localdate() + timedelta(days=5),
                created_by=world.coordinator,
            )
            for user in (world.partner, self.school)
        }
        self.feeds = {
            user.pk: services.feed_create(user=user) for user in (world.partner, self.school)
        }

    @property
    def people(self):
        return (self.world.partner, self.school)

    def pages(self) -> list[str]:
        pk = self.meeting.pk
        return [
            reverse("meeting_detail", args=[pk]),
            reverse("agenda", args=[pk]),
            reverse("meeting_minutes_pdf", args=[pk]),
            reverse("agenda_item_pdf", args=[pk, self.item.pk]),
        ]

    def feed_url(self, user) -> str:
        return reverse("calendar_feed", args=[self.feeds[user.pk].token])

    def end_memberships(self, user) -> None:
        Membership.objects.filter(user=user).update(active=False)
        policy.forget_roles(user)


@pytest.fixture
def setup(unit_a) -> Setup:
    return Setup(unit_a)


def feed_summaries(response) -> set[str]:
    assert response.status_code == 200
    return {str(e["SUMMARY"]) for e in Calendar.from_ical(response.content).walk("VEVENT")}


@pytest.mark.parametrize("who", ["invited partner", "group member"])
def test_ending_the_memberships_ends_the_meeting_everywhere(setup, login, who):
    user = setup.world.partner if who == "invited partner" else setup.school
    other = setup.school if user == setup.world.partner else setup.world.partner
    client = login(user)
    # While they work in the unit, every channel answers.
    for url in setup.pages():
        assert client.get(url).status_code == 200, url
    assert TASK in client.get(reverse("my_tasks")).content.decode()
    assert "Beredningsgruppens möte" in feed_summaries(Client().get(setup.feed_url(user)))

    setup.end_memberships(user)

    for url in [*setup.pages(), reverse("meeting_mode", args=[setup.meeting.pk])]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert GENERAL_MINUTES not in response.content.decode(errors="replace")
    # The refusals are logged against the meeting.
    assert AccessLogEntry.objects.filter(
        user=user, action="denied", object_type="meeting", object_id=str(setup.meeting.pk)
    ).exists()
    # The personal calendar feed answers no more: no active membership, no feed.
    assert Client().get(setup.feed_url(user)).status_code == 404
    assert policy.meetings_visible_to(user).count() == 0
    # My tasks: the task is no longer listed, and cannot be marked done.
    assert TASK not in client.get(reverse("my_tasks")).content.decode()
    assert selectors_agenda.open_tasks(user, timezone.localdate()) == []
    task = setup.tasks[user.pk]
    assert client.post(reverse("task_done", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.done_on is None
    assert AccessLogEntry.objects.filter(
        user=user, action="denied", object_type="task", object_id=str(task.pk)
    ).exists()
    # Nobody else's ground is touched.
    client = login(other)
    for url in setup.pages():
        assert client.get(url).status_code == 200, url
    assert "Beredningsgruppens möte" in feed_summaries(Client().get(setup.feed_url(other)))


def test_no_invitation_or_cancellation_mail_after_the_memberships_end(setup, login, mailoutbox):
    client = login(setup.world.coordinator)
    send = reverse("meeting_send_invitations", args=[setup.meeting.pk])
    client.post(send)
    deliver()
    assert setup.world.partner.email in {mail.to[0] for mail in mailoutbox}
    mailoutbox.clear()

    setup.end_memberships(setup.world.partner)
    response = client.post(send, follow=True)

    deliver()
    assert setup.world.partner.email not in {mail.to[0] for mail in mailoutbox}
    assert "1 inbjuden har ingen aktiv roll i enheten längre" in response.content.decode()
    page = client.get(reverse("meeting_detail", args=[setup.meeting.pk])).content.decode()
    assert "1 inbjuden har ingen aktiv roll i enheten längre och får ingen inbjudan." in page
    deliver()
    mailoutbox.clear()
    services.meeting_cancel(meeting=setup.meeting, by=setup.world.coordinator)
    deliver()
    assert setup.world.partner.email not in {mail.to[0] for mail in mailoutbox}


def test_a_case_meeting_ends_with_the_membership_too(unit_a, login):
    """A partner in the case's group under a covering consent: the case meeting, too, ends with
    their membership (its ground is the case's, which needs an active role)."""
    case = case_with_group(unit_a)
    starts = at(timezone.localdate() + timedelta(days=3))
    meeting = services.meeting_create(
        unit=unit_a.unit,
        by=unit_a.coordinator,
        kind=Meeting.Kind.INDIVIDUAL,
        case=case,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        place="Kontoret",
        convener=unit_a.coordinator,
        invitees=[services.Invitee(unit_a.partner, organisation=unit_a.police)],
    )
    feed = services.feed_create(user=unit_a.partner)
    url = reverse("meeting_detail", args=[meeting.pk])
    assert login(unit_a.partner).get(url).status_code == 200

    Membership.objects.filter(user=unit_a.partner).update(active=False)

    assert login(unit_a.partner).get(url).status_code == 404
    assert login(unit_a.partner).get(reverse("agenda", args=[meeting.pk])).status_code == 404
    assert Client().get(reverse("calendar_feed", args=[feed.token])).status_code == 404


def test_the_feed_needs_an_active_account_and_an_active_membership(setup, unit_b):
    partner, school = setup.world.partner, setup.school
    # A membership in another unit keeps the feed alive, without this unit's meetings.
    setup.end_memberships(school)
    Membership.objects.create(user=school, organisation=unit_b.school, role="partner")
    assert feed_summaries(Client().get(setup.feed_url(school))) == set()
    # A deactivated account's feed is a 404 (logged) even with its memberships intact.
    partner.is_active = False
    partner.save()
    assert Membership.objects.filter(user=partner, active=True).exists()

    assert Client().get(setup.feed_url(partner)).status_code == 404
    assert AccessLogEntry.objects.filter(
        user=partner, action="denied", object_type="calendar_feed"
    ).exists()
