"""Calendar files of meeting invitations: Stockholm time in summer and winter, UID and
SEQUENCE, METHOD REQUEST/CANCEL, and above all that the event text never says more than the
invitee may see (no case alias without access to the case, never the person's name)."""

from datetime import UTC, datetime, time, timedelta

from django.urls import reverse
from icalendar import Calendar

from insats.meetings import ics
from insats.meetings import services_meetings as services
from insats.meetings.models import AgendaItem, Invitation, Meeting
from tests import builders
from tests.meetings.test_meetings import (
    at,
    calendar_part,
    case_with_group,
    ics_of,
    make_meeting,
)
from tests.outbox.helpers import deliver


def parse(content) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(content)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def unfolded(content) -> str:
    text = content.decode() if isinstance(content, bytes) else content
    return text.replace("\r\n ", "").replace("\n ", "")


def give_addresses(*users):
    for user in users:
        user.email = f"{user.username}@example.org"
        user.save()


def test_summer_and_winter_times_are_stockholm_time(unit_a):
    summer = make_meeting(unit_a, starts_at=at(datetime(2027, 7, 15).date(), 10, 0))
    winter = make_meeting(unit_a, starts_at=at(datetime(2027, 1, 14).date(), 10, 0))

    for meeting, utc_hour in ((summer, 8), (winter, 9)):
        content = ics.meeting_ics(meeting, unit_a.coordinator)
        calendar, event = parse(content)
        start = event["DTSTART"].dt
        assert (start.hour, start.minute) == (10, 0)
        assert str(start.tzinfo) == "Europe/Stockholm"
        assert start.astimezone(UTC).hour == utc_hour
        assert event["DTEND"].dt - start == timedelta(hours=1, minutes=30)
        day = start.strftime("%Y%m%d")
        assert f"DTSTART;TZID=Europe/Stockholm:{day}T100000" in unfolded(content)
        # The time zone is described in the file itself.
        assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Stockholm"
        assert str(event["UID"]) == f"{meeting.uid}@insats"
        assert event["SEQUENCE"] == 0
        assert str(event["SUMMARY"]) == "Styrgruppens möte"
        assert str(event["LOCATION"]) == "Stadshuset, rum 3"
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["STATUS"]) == "CONFIRMED"
        assert event["ORGANIZER"].params["CN"] == unit_a.coordinator.get_full_name()


def test_times_convert_correctly_from_utc(unit_a):
    """A meeting stored in UTC comes out in Stockholm time (a day across the summer switch)."""
    starts = datetime(2027, 3, 28, 8, 0, tzinfo=UTC)  # 10:00 CEST, the first day of summer time
    meeting = make_meeting(unit_a, starts_at=starts)
    _calendar, event = parse(ics.meeting_ics(meeting, unit_a.coordinator))
    assert event["DTSTART"].dt.hour == 10
    assert event["DTSTART"].dt == starts


def test_sequence_grows_with_each_change_and_the_uid_stays(unit_a):
    meeting = make_meeting(unit_a)
    uid = str(parse(ics.meeting_ics(meeting, unit_a.coordinator))[1]["UID"])
    start = meeting.starts_at + timedelta(days=1)
    services.meeting_update(
        meeting=meeting,
        by=unit_a.coordinator,
        title=meeting.title,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        place=meeting.place,
        convener=meeting.convener,
        invitees=[],
    )
    _calendar, event = parse(ics.meeting_ics(meeting, unit_a.coordinator))
    assert str(event["UID"]) == uid
    assert event["SEQUENCE"] == 1


def test_cancelled_meeting_is_method_cancel(unit_a):
    meeting = make_meeting(unit_a)
    services.meeting_cancel(meeting=meeting, by=unit_a.coordinator)
    calendar, event = parse(ics.meeting_ics(meeting, unit_a.coordinator))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1


def test_invitations_say_no_more_than_each_invitee_may_see(unit_a, login, mailoutbox):
    """The school (no consent) gets only the kind; the police (consent) the alias, never the
    person's name; nobody gets an agenda title about a case."""
    case = case_with_group(unit_a)
    person = case.person
    school = builders.school_user(unit_a)
    give_addresses(unit_a.coordinator, unit_a.partner, school)
    meeting = make_meeting(unit_a, kind=Meeting.Kind.INDIVIDUAL, case=case)
    # The staff's own title names the person: it must never reach a calendar file.
    meeting.title = f"Möte om {person.first_name} {person.last_name}"
    meeting.save()
    Invitation.objects.create(meeting=meeting, name="Tränare Utan Konto", email="coach@example.org")
    AgendaItem.objects.create(
        meeting=meeting,
        part=AgendaItem.Part.INDIVIDUAL,
        case=case,
        title=f"Hotbild mot {person.last_name}",
        registered_by=unit_a.coordinator,
    )
    AgendaItem.objects.create(
        meeting=meeting,
        part=AgendaItem.Part.GENERAL,
        title="Gemensam lägesbild",
        registered_by=unit_a.coordinator,
    )
    client = login(unit_a.coordinator)

    response = client.post(reverse("meeting_send_invitations", args=[meeting.pk]), follow=True)

    assert "Inbjudan är skickad till 4 personer." in response.content.decode()
    deliver()
    by_address = {mail.to[0]: mail for mail in mailoutbox}
    assert set(by_address) == {
        unit_a.coordinator.email,
        unit_a.partner.email,
        school.email,
        "coach@example.org",
    }
    assert not meeting.invitations.filter(sent_at__isnull=True).exists()
    secrets = (
        person.first_name,
        person.last_name,
        person.identity_number,
        person.formatted_number,
        "Hotbild",
    )
    for address, mail in by_address.items():
        content = ics_of(mail)
        text = unfolded(content) + mail.subject + mail.body
        for secret in secrets:
            assert secret not in text, (address, secret)
        _calendar, event = parse(content)
        assert "Gemensam lägesbild" in str(event["DESCRIPTION"])
        assert calendar_part(mail).get_param("method") == "REQUEST"
        sees_case = address in (unit_a.coordinator.email, unit_a.partner.email)
        assert (case.alias in text) is sees_case, address
        assert (case.number in text) is sees_case, address
        if sees_case:
            assert str(event["SUMMARY"]) == f"Individuell grupp: {case.alias}"
        else:
            assert str(event["SUMMARY"]) == "Individuell grupp"
        # Each invitee is named as the one attendee of their own copy.
        assert str(event["ATTENDEE"]) == f"mailto:{address}"


def test_outsider_without_account_gets_no_link_and_no_alias(unit_a):
    case = case_with_group(unit_a)
    meeting = make_meeting(unit_a, kind=Meeting.Kind.NETWORK, case=case)
    outsider = Invitation.objects.create(meeting=meeting, name="Släkting", email="s@example.org")
    content = unfolded(ics.meeting_ics(meeting, outsider, link="https://insats.example/moten/1/"))
    assert case.alias not in content
    assert "insats.example" not in content
    assert "Nätverksmöte/haverikommission" in content


def test_invitee_without_address_is_counted_not_mailed(unit_a, login, mailoutbox):
    meeting = make_meeting(unit_a)  # the group's users have no addresses; the outsider has one
    response = login(unit_a.coordinator).post(
        reverse("meeting_send_invitations", args=[meeting.pk]), follow=True
    )
    body = response.content.decode()
    deliver()
    assert [m.to for m in mailoutbox] == [["extern@example.org"]]
    assert "2 inbjudna saknar e-postadress och fick ingen inbjudan." in body
    assert meeting.invitations.filter(sent_at__isnull=False).count() == 1


def test_resent_invitation_after_a_change_has_a_higher_sequence(unit_a, login, mailoutbox):
    meeting = make_meeting(unit_a)
    client = login(unit_a.coordinator)
    client.post(reverse("meeting_send_invitations", args=[meeting.pk]))
    deliver()
    first = parse(ics_of(mailoutbox[-1]))[1]
    start = meeting.starts_at + timedelta(hours=2)
    services.meeting_update(
        meeting=meeting,
        by=unit_a.coordinator,
        title=meeting.title,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        place="Ny plats",
        convener=meeting.convener,
        invitees=[services.Invitee(name="Extern Expertsson", email="extern@example.org")],
    )
    client.post(reverse("meeting_send_invitations", args=[meeting.pk]))
    deliver()
    second = parse(ics_of(mailoutbox[-1]))[1]
    assert str(first["UID"]) == str(second["UID"])
    assert (first["SEQUENCE"], second["SEQUENCE"]) == (0, 1)
    assert str(second["LOCATION"]) == "Ny plats"
    assert mailoutbox[-1].subject.startswith("Ändrad inbjudan")


def test_cancelled_meeting_mails_say_cancel(unit_a, login, mailoutbox):
    meeting = make_meeting(unit_a)
    client = login(unit_a.coordinator)
    client.post(reverse("meeting_send_invitations", args=[meeting.pk]))
    client.post(reverse("meeting_cancel", args=[meeting.pk]))
    deliver()
    mail = mailoutbox[-1]
    calendar, event = parse(ics_of(mail))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert event["SEQUENCE"] == 1
    assert mail.subject.startswith("Inställt")
    # Nothing more is sent for a cancelled meeting.
    response = client.post(reverse("meeting_send_invitations", args=[meeting.pk]), follow=True)
    assert "Mötet är inställt och kan inte ändras." in response.content.decode()


def test_general_meeting_keeps_its_title_and_time_text(unit_a):
    meeting = make_meeting(unit_a, starts_at=at(datetime(2027, 1, 14).date(), 13, 30))
    description = ics.description(meeting, shows_case=False)
    assert "Tid: 2027-01-14 13:30–15:00" in description
    assert "Grupp: Styrgruppen" in description
    assert time(13, 30) == ics.local(meeting.starts_at).time()
