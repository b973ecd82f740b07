"""Write use cases for meetings: planning, invitations (with calendar files), attendance and
cancelling, and the personal calendar feeds.

Each takes keyword arguments, runs in one transaction, asks the access policy and raises
ValidationError with Swedish messages when a rule says no. Meetings are planned by the unit's
social-services staff (policy.may_manage_meeting).

Invitations go out one e-mail per invitee, each with its own calendar file: the text says no
more than that invitee may see (see ics.py). A change of date, time or place bumps the
meeting's SEQUENCE so that calendars replace the old event when the invitation is re-sent.

Grounds, not membership of a list, decide what an invitee is told:
- Of a case's group, only members with a ground are proposed (pre-ticked) for the case's own
  meeting: the unit's staff, partner members whose organisation a valid consent covers, and
  network members a valid consent names (policy.invitee_grounds). The others — a football
  coach without a duty of confidentiality, a school the consent does not cover — are listed
  unticked with a warning saying why.
- The planner may still tick them on purpose (the young person may want their coach there).
  We chose this over refusing the invitation: the service never sends such an invitee case
  content. Their e-mail and calendar file carry only the kind of meeting, time, place and
  convener — no alias, no case number, no link (ics.reader_sees_case asks the policy for each
  reader, and an invitee without an account never gets case content).
- A user is mailed only while they have an active account and an active membership in the
  meeting's unit (policy.mailable_invitees): ending someone's memberships ends their
  invitations, changes and cancellations as it ends their meeting pages and calendar feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insats.access import log, policy
from insats.cases.lifecycle import STAFF
from insats.organisations.models import Membership, Organisation, Unit
from insats.outbox.services import Attachment, enqueue

from . import ics
from .models import CalendarFeed, Group, Invitation, Meeting

GROUP_KINDS = {
    Meeting.Kind.STEERING: Group.Kind.STEERING,
    Meeting.Kind.OPERATIONAL: Group.Kind.OPERATIONAL,
    Meeting.Kind.PREPARATION: Group.Kind.PREPARATION,
}
CASE_KINDS = frozenset(Meeting.CASE_KINDS)
# Changing any of these makes calendars need the event again (a new SEQUENCE).
SCHEDULE_FIELDS = ("starts_at", "ends_at", "place")


@dataclass(frozen=True)
class Invitee:
    """Someone to invite: a user, or a named person without an account."""

    user: object | None = None
    name: str = ""
    email: str = ""
    organisation: Organisation | None = None
    invitation_pk: int | None = None  # an existing invitation of a person without an account
    # Why the invitee has no ground to be told what the meeting is about ("" when they have
    # one): such an invitee is not pre-ticked, and is never sent case content.
    warning: str = ""

    @property
    def has_ground(self) -> bool:
        return not self.warning

    @property
    def display_name(self) -> str:
        if self.user is not None:
            return self.user.get_full_name() or self.user.username
        return self.name


# --- Helpers for forms: proposals and default invitees ----------------------------------------


def propose_date(group: Group | None, today: date | None = None) -> date | None:
    """The group's next meeting day from its rhythm: the last meeting plus rhythm_days, or
    today plus the rhythm when the group has not met yet (or that day has already passed)."""
    if group is None:
        return None
    from . import services_groups

    today = today or timezone.localdate()
    proposal = services_groups.next_meeting_date(group, services_groups.last_meeting_day(group))
    if proposal < today:
        proposal = services_groups.next_meeting_date(group, None)
    return proposal


def _staff_organisation(user, unit_id: int) -> Organisation | None:
    membership = (
        Membership.objects.filter(
            user=user, organisation__unit_id=unit_id, active=True, role__in=STAFF
        )
        .select_related("organisation")
        .order_by("pk")
        .first()
    )
    return membership.organisation if membership else None


NO_ROLE_WARNING = gettext_lazy("Har ingen aktiv roll i enheten längre och kan inte se mötet.")
NOT_NAMED_WARNING = gettext_lazy("Nämns inte i samtycket: får inte veta vad mötet gäller.")


def default_invitees(*, group: Group | None = None, case=None) -> list[tuple[str, Invitee]]:
    """(key, invitee) of those a new meeting proposes to invite.

    A group meeting: the group's active members. A meeting about a case: the active members
    of the case's group and its coordinator. Keys: "u<user>", "g<group member>", "c<case member>".
    Each carries a warning when it has no ground (see the module docstring): the form ticks
    only those without one.
    """
    found: dict[str, Invitee] = {}
    if group is not None:
        members = list(
            group.members.filter(removed_at__isnull=True).select_related("user", "organisation")
        )
        working = policy.mailable_invitees(group.unit_id, [m.user_id for m in members])
        for member in members:
            if member.user_id:
                if member.user.is_active:
                    found.setdefault(
                        f"u{member.user_id}",
                        Invitee(
                            member.user,
                            organisation=member.organisation,
                            warning="" if member.user_id in working else str(NO_ROLE_WARNING),
                        ),
                    )
            else:
                found[f"g{member.pk}"] = Invitee(
                    name=member.name, email=member.email, organisation=member.organisation
                )
    if case is not None:
        if case.coordinator_id and case.coordinator.is_active:
            organisation = _staff_organisation(case.coordinator, case.unit_id)
            found.setdefault(
                f"u{case.coordinator_id}",
                Invitee(
                    case.coordinator,
                    organisation=organisation,
                    warning=""
                    if policy.decide_case(case.coordinator, policy.Action.VIEW_CASE, case)
                    else str(NO_ROLE_WARNING),
                ),
            )
        members = [
            member
            for member in case.members.filter(removed_at__isnull=True).select_related(
                "user", "organisation"
            )
            if member.user_id is None or member.user.is_active
        ]
        warnings = policy.invitee_grounds(case, members)
        for member in members:
            if member.user_id:
                found.setdefault(
                    f"u{member.user_id}",
                    Invitee(
                        member.user, organisation=member.organisation, warning=warnings[member.pk]
                    ),
                )
            else:
                found[f"c{member.pk}"] = Invitee(
                    name=member.name,
                    email=member.email,
                    organisation=member.organisation,
                    warning=warnings[member.pk],
                )
    return list(found.items())


def invitation_warnings(meeting: Meeting, invitations) -> dict[int, str]:
    """Per invitation of the meeting: why the invitee has no ground ("" when they have one).

    The same grounds as default_invitees, for the people already invited: a user who may not
    see the meeting (for a case meeting, the case), or an invitee without an account whom no
    valid consent names.
    """
    invitations = list(invitations)
    defaults = dict(default_invitees(group=meeting.group, case=meeting.case))
    by_address = {
        (i.name.strip().lower(), i.email.strip().lower()): i.warning
        for i in defaults.values()
        if i.user is None
    }
    working = policy.mailable_invitees(meeting.unit_id, [i.user_id for i in invitations])
    result = {}
    for invitation in invitations:
        if invitation.user_id:
            proposed = defaults.get(f"u{invitation.user_id}")
            if proposed is not None:
                result[invitation.pk] = proposed.warning
            elif invitation.user_id not in working:
                result[invitation.pk] = str(NO_ROLE_WARNING)
            elif meeting.case_id is not None and not policy.decide_case(
                invitation.user, policy.Action.VIEW_CASE, meeting.case
            ):
                result[invitation.pk] = _("Kan inte se ärendet: får inte veta vad mötet gäller.")
            else:
                result[invitation.pk] = ""
        else:
            address = (invitation.name.strip().lower(), invitation.email.strip().lower())
            if address in by_address:
                result[invitation.pk] = by_address[address]
            elif meeting.case_id is not None:
                result[invitation.pk] = str(NOT_NAMED_WARNING)
            else:
                result[invitation.pk] = ""
    return result


def invitable_memberships(unit_id: int):
    """Users of the unit's organisations who may be added to a meeting's invitees."""
    return (
        Membership.objects.filter(organisation__unit_id=unit_id, active=True, user__is_active=True)
        .select_related("user", "organisation")
        .order_by("user__first_name", "user__last_name", "organisation__name", "pk")
    )


def case_choices(user):
    """Open cases the user may plan a meeting about (the unit's staff see all of them)."""
    from insats.cases.lifecycle import CLOSED_STATES

    return (
        policy.cases_visible_to(user)
        .filter(unit_id__in=policy.staff_units(user))
        .exclude(state__in=CLOSED_STATES)
        .order_by("alias", "pk")
    )


# --- Planning ---------------------------------------------------------------------------------


def _require_manager(by, meeting: Meeting) -> None:
    policy.require_staff(by, meeting.unit_id)
    decision = policy.may_manage_meeting(by, meeting)
    if not decision:
        raise ValidationError(decision.reason)
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError(_("Mötet är inställt och kan inte ändras."))


def _check_details(*, unit: Unit, by, title, starts_at, ends_at, place, convener, case) -> dict:
    errors: dict[str, list[str]] = {}
    if starts_at and ends_at and ends_at <= starts_at:
        errors.setdefault("end_time", []).append(_("Mötet måste sluta efter att det har börjat."))
    if not (place or "").strip():
        errors.setdefault("place", []).append(_("Ange var mötet hålls."))
    if case is None and not (title or "").strip():
        errors.setdefault("title", []).append(_("Ange en rubrik för mötet."))
    if convener is None or not policy.unit_staff(unit.pk).filter(pk=convener.pk).exists():
        errors.setdefault("convener", []).append(
            _("Den sammankallande ska vara socialtjänstens personal i enheten.")
        )
    return errors


def default_title(kind: str, case) -> str:
    """A case meeting's stored title: its kind and the case's alias, never a name."""
    with translation.override(settings.LANGUAGE_CODE):
        label = Meeting.Kind(kind).label
        return f"{label}: {case.alias}" if case is not None else str(label)


@transaction.atomic
def meeting_create(
    *,
    unit: Unit,
    by,
    kind: str,
    group: Group | None = None,
    case=None,
    title: str = "",
    starts_at: datetime,
    ends_at: datetime,
    place: str,
    convener,
    invitees: list[Invitee] = (),
) -> Meeting:
    policy.require_staff(by, unit.pk)
    errors: dict[str, list[str]] = {}
    if kind not in Meeting.Kind.values:
        errors["kind"] = [_("Välj typ av möte.")]
    elif kind in GROUP_KINDS:
        if group is None:
            errors["group"] = [_("Välj vilken grupp som ska mötas.")]
        elif group.unit_id != unit.pk or group.kind != GROUP_KINDS[kind] or not group.active:
            errors["group"] = [_("Gruppen hör inte till den här typen av möte.")]
        case = None
    elif kind in CASE_KINDS:
        if case is None:
            errors["case"] = [_("Välj vilket ärende mötet gäller.")]
        elif case.unit_id != unit.pk or not policy.decide_case(by, policy.Action.VIEW_CASE, case):
            errors["case"] = [_("Ärendet finns inte.")]
        elif case.is_closed:
            errors["case"] = [_("Ärendet är avslutat och kan inte ändras.")]
        group = None
    else:
        group, case = None, None
    details = _check_details(
        unit=unit,
        by=by,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        convener=convener,
        case=case if kind in CASE_KINDS else None,
    )
    for field, messages in details.items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    title = (title or "").strip() or default_title(kind, case)
    meeting = Meeting.objects.create(
        unit=unit,
        kind=kind,
        group=group,
        case=case,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place.strip(),
        convener=convener,
        created_by=by,
    )
    _set_invitees(meeting, invitees)
    log.record(
        user=by,
        action=log.Action.CREATE,
        object_type="meeting",
        case=case,
        unit_id=unit.pk,
        object_id=meeting.pk,
    )
    return meeting


@dataclass(frozen=True)
class UpdateResult:
    meeting: Meeting
    rescheduled: bool  # date, time or place changed: the invitations should be re-sent
    cancelled_for: int  # invitees taken off the list who were sent a cancellation


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    by,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    place: str,
    convener,
    invitees: list[Invitee],
    link: str = "",
) -> UpdateResult:
    _require_manager(by, meeting)
    errors = _check_details(
        unit=meeting.unit,
        by=by,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        convener=convener,
        case=meeting.case,
    )
    if errors:
        raise ValidationError(errors)
    place = place.strip()
    rescheduled = (
        meeting.starts_at != starts_at or meeting.ends_at != ends_at or meeting.place != place
    )
    meeting.title = (title or "").strip() or default_title(meeting.kind, meeting.case)
    meeting.starts_at, meeting.ends_at, meeting.place = starts_at, ends_at, place
    meeting.convener = convener
    if rescheduled:
        meeting.sequence += 1
    meeting.save()
    removed = _set_invitees(meeting, invitees)
    cancelled_for = _send(meeting, [i for i in removed if i.sent_at], method=ics.CANCEL, link=link)
    Invitation.objects.filter(pk__in=[i.pk for i in removed]).delete()
    log.record(
        user=by,
        action=log.Action.CHANGE,
        object_type="meeting",
        case=meeting.case,
        unit_id=meeting.unit_id,
        object_id=meeting.pk,
        detail="rescheduled" if rescheduled else "",
    )
    return UpdateResult(meeting, rescheduled, cancelled_for)


def _set_invitees(meeting: Meeting, invitees) -> list[Invitation]:
    """Create invitations for new invitees; return the existing ones no longer on the list."""
    current = list(meeting.invitations.select_related("user"))
    by_user = {i.user_id: i for i in current if i.user_id}
    by_pk = {i.pk: i for i in current}
    by_address = {(i.name.strip().lower(), i.email.strip().lower()): i for i in current}
    keep: set[int] = set()
    for invitee in invitees:
        if invitee.user is not None:
            existing = by_user.get(invitee.user.pk)
        else:
            existing = by_pk.get(invitee.invitation_pk) or by_address.get(
                (invitee.name.strip().lower(), invitee.email.strip().lower())
            )
        if existing is not None:
            keep.add(existing.pk)
            continue
        invitation = Invitation.objects.create(
            meeting=meeting,
            user=invitee.user,
            name="" if invitee.user is not None else invitee.name.strip(),
            email="" if invitee.user is not None else invitee.email.strip(),
            organisation=invitee.organisation,
        )
        keep.add(invitation.pk)
        if invitee.user is not None:
            by_user[invitee.user.pk] = invitation
        else:
            by_address[(invitation.name.lower(), invitation.email.lower())] = invitation
    return [i for i in current if i.pk not in keep]


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by, link: str = "") -> int:
    """Cancel the meeting; everyone who was sent the invitation gets a cancellation.

    Returns the number of cancellations sent.
    """
    _require_manager(by, meeting)
    if meeting.status == Meeting.Status.HELD:
        raise ValidationError(_("Mötet är redan genomfört och kan inte ställas in."))
    meeting.status = Meeting.Status.CANCELLED
    meeting.sequence += 1
    meeting.save()
    sent = _send(
        meeting,
        list(meeting.invitations.filter(sent_at__isnull=False).select_related("user")),
        link=link,
    )
    log.record(
        user=by,
        action=log.Action.CHANGE,
        object_type="meeting",
        case=meeting.case,
        unit_id=meeting.unit_id,
        object_id=meeting.pk,
        detail="cancelled",
    )
    return sent


@transaction.atomic
def meeting_record_attendance(*, meeting: Meeting, by, attended: set[int], held: bool) -> Meeting:
    """Tick who attended (every invitation gets yes or no); optionally mark the meeting held."""
    _require_manager(by, meeting)
    if held and meeting.starts_at > timezone.now():
        raise ValidationError(
            {"held": [_("Ett möte som inte har börjat kan inte markeras som genomfört.")]}
        )
    invitations = meeting.invitations.all()
    unknown = set(attended) - {i.pk for i in invitations}
    if unknown:
        raise ValidationError({"attended": [_("Välj bland de inbjudna.")]})
    meeting.invitations.filter(pk__in=attended).update(attended=True)
    meeting.invitations.exclude(pk__in=attended).update(attended=False)
    if held and meeting.status != Meeting.Status.HELD:
        meeting.status = Meeting.Status.HELD
        meeting.save(update_fields=["status", "updated_at"])
    log.record(
        user=by,
        action=log.Action.CHANGE,
        object_type="meeting",
        case=meeting.case,
        unit_id=meeting.unit_id,
        object_id=meeting.pk,
        detail="attendance" + (" held" if held else ""),
    )
    return meeting


@transaction.atomic
def meeting_link_follow_up(*, meeting: Meeting, by, follow_up) -> Meeting:
    """Link an individual-group meeting to a follow-up of the case's action plan (or unlink)."""
    _require_manager(by, meeting)
    if meeting.kind != Meeting.Kind.INDIVIDUAL or meeting.case_id is None:
        raise ValidationError(_("Bara ett möte i den individuella gruppen följer upp planen."))
    if follow_up is not None and follow_up.plan.case_id != meeting.case_id:
        raise ValidationError({"follow_up": [_("Uppföljningen hör till ett annat ärende.")]})
    meeting.plan_follow_up = follow_up
    meeting.save(update_fields=["plan_follow_up", "updated_at"])
    log.record(
        user=by,
        action=log.Action.CHANGE,
        object_type="meeting",
        case=meeting.case,
        unit_id=meeting.unit_id,
        object_id=meeting.pk,
        detail=f"plan_follow_up={follow_up.pk if follow_up else ''}",
    )
    return meeting


# --- Invitations by e-mail --------------------------------------------------------------------


def address_of(invitation: Invitation) -> str:
    """Where the invitation goes: the user's address, or the one typed for an outsider."""
    if invitation.user_id:
        return invitation.user.email if invitation.user.is_active else ""
    return invitation.email


def without_ground(meeting: Meeting, invitations) -> set[int]:
    """The invitations whose user may no longer be mailed about the meeting: no active account
    or no active membership in its unit (policy.mailable_invitees)."""
    users = [i for i in invitations if i.user_id]
    working = policy.mailable_invitees(meeting.unit_id, [i.user_id for i in users])
    return {i.pk for i in users if i.user_id not in working}


@dataclass(frozen=True)
class SendResult:
    sent: int
    without_address: int
    without_ground: int = 0  # users who no longer work in the unit: not mailed


@transaction.atomic
def send_invitations(*, meeting: Meeting, by, link: str = "") -> SendResult:
    """E-mail every invitee with an address and a ground their own calendar file; stamp
    sent_at."""
    _require_manager(by, meeting)
    invitations = list(meeting.invitations.select_related("user"))
    refused = without_ground(meeting, invitations)
    grounded = [i for i in invitations if i.pk not in refused]
    reachable = [i for i in grounded if address_of(i)]
    now = timezone.now()
    sent = _send(meeting, reachable, link=link, sent_at=now)
    Invitation.objects.filter(pk__in=[i.pk for i in reachable]).update(sent_at=now)
    log.record(
        user=by,
        action=log.Action.EXPORT,
        object_type="meeting_invitation",
        case=meeting.case,
        unit_id=meeting.unit_id,
        object_id=meeting.pk,
        detail=f"sequence={meeting.sequence} invitations={','.join(str(i.pk) for i in reachable)}",
    )
    return SendResult(sent, len(grounded) - len(reachable), len(refused))


def _send(
    meeting: Meeting, invitations: list[Invitation], *, method=None, link="", sent_at=None
) -> int:
    """Mail each invitation (with an address, to a user still working in the unit): enqueued
    in the caller's transaction, delivered by the outbox after commit, so a rolled-back change
    or cancellation sends nothing and no request waits on the mail server.

    The key names the mail: a cancellation by the invitation and the calendar SEQUENCE it
    cancels; an invitation also by the moment it is stamped as sent (sent_at), since the
    planner may send the same SEQUENCE again on purpose."""
    refused = without_ground(meeting, invitations)
    sent = 0
    for invitation in invitations:
        if invitation.pk in refused:
            continue
        message = _message(meeting, invitation, method, link)
        if message is None:
            continue
        kind, address, subject, body, attachment = message
        stamp = f":{sent_at.isoformat()}" if kind != ics.CANCEL and sent_at else ""
        enqueue(
            key=f"meeting-{kind.lower()}:{invitation.pk}:{meeting.sequence}{stamp}",
            to=[address],
            subject=subject,
            body=body,
            attachments=[attachment],
        )
        sent += 1
    return sent


def _message(meeting: Meeting, invitation: Invitation, method: str | None, link: str):
    """(method, address, subject, body, calendar attachment), or None without an address."""
    address = address_of(invitation)
    if not address:
        return None
    if method is None:
        method = ics.CANCEL if meeting.status == Meeting.Status.CANCELLED else ics.REQUEST
    content = ics.meeting_ics(meeting, invitation, method=method, link=link)
    reader = ics.reader_of(invitation)
    with translation.override(settings.LANGUAGE_CODE):
        shows_case = ics.reader_sees_case(reader, meeting)
        name = ics.summary(meeting, shows_case)
        if method == ics.CANCEL:
            subject = _("Inställt: %(name)s") % {"name": name}
            intro = _("Mötet är inställt eller du är inte längre inbjuden.")
        elif invitation.sent_at is not None:
            subject = _("Ändrad inbjudan: %(name)s") % {"name": name}
            intro = _("Inbjudan är ändrad. Den uppdaterade kalenderfilen ersätter den tidigare.")
        else:
            subject = _("Inbjudan: %(name)s") % {"name": name}
            intro = _("Du är inbjuden till ett möte. Kalenderfilen finns bifogad.")
        body = "\n\n".join(
            [intro, ics.description(meeting, shows_case, link if reader.user else "")]
        )
    # The METHOD parameter must be on the calendar part for mail clients to act on it.
    calendar = Attachment("mote.ics", content, f"text/calendar; method={method}; charset=utf-8")
    return method, address, subject, body, calendar


# --- Personal calendar feeds --------------------------------------------------------------------


@transaction.atomic
def feed_create(*, user) -> CalendarFeed:
    """A new feed; any feed the user already has is revoked (one secret address at a time)."""
    CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    feed = CalendarFeed.objects.create(user=user)
    log.record(user=user, action=log.Action.CREATE, object_type="calendar_feed", object_id=feed.pk)
    return feed


@transaction.atomic
def feed_revoke(*, feed: CalendarFeed, by) -> CalendarFeed:
    policy.require_own_feed(by, feed)
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        log.record(
            user=by,
            action=log.Action.CHANGE,
            object_type="calendar_feed",
            object_id=feed.pk,
            detail="revoked",
        )
    return feed
