"""Calendar files for meetings (RFC 5545): an invitation per invitee, and the personal feed.

The event text never holds more than its reader may see. A meeting about a case (individual
group, network meeting) names the case's alias only to a reader who may see that case; anyone
else reads just the kind of meeting. The person's name and identity number are never written,
and neither is the free-text title of a case meeting (it may name the person). The description
lists the agenda's general part only: items about a case or a returnee stay out.

Times are written with TZID=Europe/Stockholm and a VTIMEZONE, so summer and winter time come
out right in every calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from insats.access import policy

from .models import AgendaItem, Invitation, Meeting

PRODID = "-//Insats//Moten//SV"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
REQUEST = "REQUEST"
CANCEL = "CANCEL"
PUBLISH = "PUBLISH"


@dataclass(frozen=True)
class Reader:
    """Who will read the event: a user (who may or may not see the case) or an outsider."""

    user: object | None
    name: str = ""
    email: str = ""


def reader_of(for_user_or_invitation) -> Reader:
    if isinstance(for_user_or_invitation, Invitation):
        invitation = for_user_or_invitation
        if invitation.user_id:
            user = invitation.user
            return Reader(user, user.get_full_name() or user.username, user.email)
        return Reader(None, invitation.name, invitation.email)
    user = for_user_or_invitation
    if user is None:
        return Reader(None)
    return Reader(user, user.get_full_name() or user.username, user.email)


def reader_sees_case(reader: Reader, meeting: Meeting) -> bool:
    """May the reader see the case the meeting is about? (False for a meeting without one.)"""
    if meeting.case_id is None or reader.user is None:
        return False
    return bool(policy.decide_case(reader.user, policy.Action.VIEW_CASE, meeting.case))


def general_titles(meeting: Meeting) -> list[str]:
    """Titles of the agenda's general part: no item about a case or a returnee."""
    prefetched = getattr(meeting, "general_items", None)
    if prefetched is not None:
        return [item.title for item in prefetched]
    return list(
        meeting.items.filter(
            part=AgendaItem.Part.GENERAL, case__isnull=True, returnee__isnull=True
        ).values_list("title", flat=True)
    )


def general_items_queryset():
    """For Prefetch("items", queryset=..., to_attr="general_items") in lists and feeds."""
    return AgendaItem.objects.filter(
        part=AgendaItem.Part.GENERAL, case__isnull=True, returnee__isnull=True
    ).order_by("position", "pk")


def summary(meeting: Meeting, shows_case: bool) -> str:
    """The event's one-line name for this reader."""
    if meeting.case_id is None:
        return meeting.title
    kind = meeting.get_kind_display()
    if shows_case:
        return f"{kind}: {meeting.case.alias}"
    return str(kind)


def local(moment: datetime) -> datetime:
    return timezone.localtime(moment, STOCKHOLM)


def when_text(meeting: Meeting) -> str:
    start, end = local(meeting.starts_at), local(meeting.ends_at)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d} {start:%H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


def description(meeting: Meeting, shows_case: bool, link: str = "") -> str:
    """The event's longer text (also the body of the invitation e-mail)."""
    lines = [
        _("Typ av möte: %(kind)s") % {"kind": meeting.get_kind_display()},
    ]
    if meeting.case_id is not None and shows_case:
        lines.append(_("Ärende: %(alias)s") % {"alias": meeting.case.alias})
    if meeting.group_id is not None:
        lines.append(_("Grupp: %(group)s") % {"group": meeting.group.name})
    lines += [
        _("Tid: %(when)s") % {"when": when_text(meeting)},
        _("Plats: %(place)s") % {"place": meeting.place},
        _("Sammankallande: %(name)s") % {"name": _person(meeting.convener)},
    ]
    titles = general_titles(meeting)
    if titles:
        lines += ["", _("Dagordning, allmän del:")] + [f"- {title}" for title in titles]
    if meeting.status == Meeting.Status.CANCELLED:
        lines += ["", _("Mötet är inställt.")]
    if link:
        lines += ["", _("Mötet i Insats: %(link)s") % {"link": link}]
    return "\n".join(lines)


def _person(user) -> str:
    return user.get_full_name() or user.username


def _organizer(meeting: Meeting) -> vCalAddress:
    convener = meeting.convener
    address = vCalAddress(f"mailto:{convener.email or settings.DEFAULT_FROM_EMAIL}")
    address.params["CN"] = vText(_person(convener))
    return address


def _attendee(reader: Reader) -> vCalAddress | None:
    if not reader.email:
        return None
    address = vCalAddress(f"mailto:{reader.email}")
    if reader.name:
        address.params["CN"] = vText(reader.name)
    address.params["ROLE"] = vText("REQ-PARTICIPANT")
    address.params["PARTSTAT"] = vText("NEEDS-ACTION")
    address.params["RSVP"] = vText("FALSE")
    return address


def event(
    meeting: Meeting,
    reader: Reader,
    *,
    shows_case: bool,
    link: str = "",
    attendee: bool = False,
    cancelled: bool | None = None,
) -> Event:
    """One VEVENT for this reader."""
    if cancelled is None:
        cancelled = meeting.status == Meeting.Status.CANCELLED
    item = Event()
    item.add("uid", f"{meeting.uid}@insats")
    item.add("sequence", meeting.sequence)
    item.add("dtstamp", datetime.now(UTC))
    item.add("dtstart", local(meeting.starts_at))
    item.add("dtend", local(meeting.ends_at))
    item.add("last-modified", meeting.updated_at.astimezone(UTC))
    item.add("summary", summary(meeting, shows_case))
    item.add("location", meeting.place)
    item.add("description", description(meeting, shows_case, link))
    item.add("organizer", _organizer(meeting))
    item.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    item.add("transp", "OPAQUE")
    if link:
        item.add("url", link)
    if attendee:
        address = _attendee(reader)
        if address is not None:
            item.add("attendee", address)
    return item


def _calendar(method: str, events: list[Event], starts: list[datetime], name: str = "") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", "Europe/Stockholm")
    for item in events:
        calendar.add_component(item)
    if starts:
        first, last = min(starts), max(starts)
        calendar.add_missing_timezones(
            first_date=(first - timedelta(days=400)).date(),
            last_date=(last + timedelta(days=400)).date(),
        )
    return calendar.to_ical()


def meeting_ics(meeting: Meeting, for_user_or_invitation, *, method: str | None = None, link=""):
    """The calendar file of one meeting, for one invitee (an Invitation) or one user.

    METHOD is REQUEST, or CANCEL when the meeting is cancelled (or when `method` says so, e.g.
    for an invitee taken off the list). Returns bytes.
    """
    reader = reader_of(for_user_or_invitation)
    if method is None:
        method = CANCEL if meeting.status == Meeting.Status.CANCELLED else REQUEST
    with translation.override(settings.LANGUAGE_CODE):
        shows_case = reader_sees_case(reader, meeting)
        item = event(
            meeting,
            reader,
            shows_case=shows_case,
            link=link if reader.user is not None else "",
            attendee=True,
            cancelled=method == CANCEL,
        )
        return _calendar(method, [item], [meeting.starts_at])


def feed_ics(user, meetings, *, visible_case_ids: set[int], link_for=None) -> bytes:
    """The personal feed: every meeting given, written for `user`.

    `visible_case_ids` are the cases the user may see (policy.visible_item_cases); a meeting
    about any other case shows only its kind.
    """
    reader = reader_of(user)
    meetings = list(meetings)
    with translation.override(settings.LANGUAGE_CODE):
        events = [
            event(
                meeting,
                reader,
                shows_case=meeting.case_id in visible_case_ids,
                link=link_for(meeting) if link_for else "",
            )
            for meeting in meetings
        ]
        return _calendar(
            PUBLISH,
            events,
            [meeting.starts_at for meeting in meetings],
            name=_("Insats – mina möten"),
        )
