"""The personal calendar feed: a secret address shown once, revocable; the feed holds exactly
the meetings the user may see today, 30 days back to a year ahead, with the invitation's text
rules; every fetch is logged."""

import re
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from insats.access.models import AccessLogEntry
from insats.meetings import services_meetings as services
from insats.meetings.models import CalendarFeed, Meeting
from tests import builders
from tests.meetings.test_meetings import at, case_with_group, make_meeting


def feed_url(feed: CalendarFeed) -> str:
    return reverse("calendar_feed", args=[feed.token])


def summaries(response) -> set[str]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(event["SUMMARY"]) for event in calendar.walk("VEVENT")}


def day(offset: int):
    return at(timezone.localdate() + timedelta(days=offset))


def test_address_is_shown_once_in_full_then_masked(unit_a, login):
    client = login(unit_a.partner)
    page = reverse("calendar_settings")
    assert "Du har ingen kalenderadress." in client.get(page).content.decode()

    response = client.post(page, {"action": "create"}, follow=True)

    feed = CalendarFeed.objects.get(user=unit_a.partner)
    body = response.content.decode()
    assert f"/kalender/{feed.token}.ics" in body
    again = client.get(page).content.decode()
    assert feed.token not in again
    assert f"/kalender/{feed.token[:4]}…" in again
    assert AccessLogEntry.objects.filter(object_type="calendar_feed", action="create").exists()


def test_revoked_address_stops_working_and_a_new_one_works(unit_a, login):
    make_meeting(unit_a, title="Styrgrupp i feeden")
    client = login(unit_a.partner)
    page = reverse("calendar_settings")
    client.post(page, {"action": "create"})
    first = CalendarFeed.objects.get(user=unit_a.partner)
    anonymous = Client()
    assert "Styrgrupp i feeden" in summaries(anonymous.get(feed_url(first)))

    client.post(page, {"action": "revoke", "feed": first.pk})

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert anonymous.get(feed_url(first)).status_code == 404
    client.post(page, {"action": "create"})
    second = CalendarFeed.objects.get(user=unit_a.partner, revoked_at__isnull=True)
    assert second.token != first.token
    assert "Styrgrupp i feeden" in summaries(anonymous.get(feed_url(second)))
    # Making yet another address revokes the one before it at once.
    client.post(page, {"action": "create"})
    assert anonymous.get(feed_url(second)).status_code == 404
    assert CalendarFeed.objects.filter(user=unit_a.partner, revoked_at__isnull=True).count() == 1


def test_nobody_revokes_another_users_feed(unit_a, login):
    feed = services.feed_create(user=unit_a.partner)
    response = login(unit_a.coordinator).post(
        reverse("calendar_settings"), {"action": "revoke", "feed": feed.pk}
    )
    assert response.status_code == 404
    feed.refresh_from_db()
    assert feed.revoked_at is None


def test_unknown_token_and_inactive_user_get_404(unit_a, client):
    assert client.get(reverse("calendar_feed", args=["ingen-sadan"])).status_code == 404
    feed = services.feed_create(user=unit_a.partner)
    assert client.get(feed_url(feed)).status_code == 200
    unit_a.partner.is_active = False
    unit_a.partner.save()
    assert client.get(feed_url(feed)).status_code == 404


def test_feed_holds_only_the_meetings_the_user_may_see(unit_a, unit_b, client):
    case = case_with_group(unit_a)  # the police partner is covered by the consent
    other_case = builders.identified_case(unit_a)  # the police are not in this group
    make_meeting(unit_a, title="Styrgrupp A", starts_at=day(10))
    make_meeting(unit_a, kind=Meeting.Kind.INDIVIDUAL, case=case, starts_at=day(3))
    make_meeting(unit_a, kind=Meeting.Kind.NETWORK, case=other_case, starts_at=day(4))
    make_meeting(unit_b, title="Styrgrupp B", starts_at=day(5))
    make_meeting(unit_a, title="För länge sedan", starts_at=day(-40))
    make_meeting(unit_a, title="Om mer än ett år", starts_at=day(400))
    make_meeting(unit_a, title="Nyss", starts_at=day(-20))
    feed = services.feed_create(user=unit_a.partner)

    shown = summaries(client.get(feed_url(feed)))

    assert shown == {"Styrgrupp A", "Nyss", f"Individuell grupp: {case.alias}"}
    text = client.get(feed_url(feed)).content.decode().replace("\r\n ", "")
    assert other_case.alias not in text
    assert case.person.last_name not in text and case.person.identity_number not in text

    # The school: no consent covers it, so the case meeting is not in its feed at all.
    school_feed = services.feed_create(user=builders.school_user(unit_a))
    assert summaries(client.get(feed_url(school_feed))) == set()

    # Staff see their unit's meetings and cases, nothing of unit B.
    staff_feed = services.feed_create(user=unit_a.coordinator)
    staff_shown = summaries(client.get(feed_url(staff_feed)))
    assert f"Nätverksmöte/haverikommission: {other_case.alias}" in staff_shown
    assert "Styrgrupp B" not in staff_shown


def test_consent_revoked_takes_the_case_meeting_out_of_the_feed(unit_a, client):
    from insats.consent import services as consent_services

    case = case_with_group(unit_a)
    make_meeting(unit_a, kind=Meeting.Kind.INDIVIDUAL, case=case, starts_at=day(3))
    feed = services.feed_create(user=unit_a.partner)
    assert summaries(client.get(feed_url(feed))) == {f"Individuell grupp: {case.alias}"}
    consent_services.consent_revoke(
        consent=case.consents.get(),
        by=unit_a.coordinator,
        revoked_on=timezone.localdate(),
        how="muntligt",
    )
    assert summaries(client.get(feed_url(feed))) == set()


def test_cancelled_meetings_stay_in_the_feed_marked_cancelled(unit_a, client):
    meeting = make_meeting(unit_a, starts_at=day(5))
    services.meeting_cancel(meeting=meeting, by=unit_a.coordinator)
    feed = services.feed_create(user=unit_a.partner)
    calendar = Calendar.from_ical(client.get(feed_url(feed)).content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert str(calendar["METHOD"]) == "PUBLISH"


def test_each_fetch_is_logged_for_the_feeds_user(unit_a, client):
    meeting = make_meeting(unit_a, starts_at=day(5))
    feed = services.feed_create(user=unit_a.partner)
    client.get(feed_url(feed))
    client.get(feed_url(feed))
    entries = AccessLogEntry.objects.filter(object_type="calendar_feed", action="search")
    assert entries.count() == 2
    entry = entries.last()
    assert entry.user == unit_a.partner
    assert entry.unit_id == unit_a.unit.pk
    assert entry.object_id == str(feed.pk)
    assert re.search(rf"meetings=.*\b{meeting.pk}\b", entry.detail)


def test_feed_runs_a_constant_number_of_queries(unit_a, client, django_assert_max_num_queries):
    case = case_with_group(unit_a)
    make_meeting(unit_a, kind=Meeting.Kind.INDIVIDUAL, case=case, starts_at=day(3))
    feed = services.feed_create(user=unit_a.coordinator)
    with django_assert_max_num_queries(40) as few:
        client.get(feed_url(feed))
    baseline = len(few.captured_queries)
    for offset in range(4, 14):
        make_meeting(
            unit_a, kind=Meeting.Kind.NETWORK, case=case_with_group(unit_a), starts_at=day(offset)
        )
    with django_assert_max_num_queries(baseline):
        assert len(summaries(client.get(feed_url(feed)))) == 11
