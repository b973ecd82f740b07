"""Gates for meetings and the collaboration around them: a meeting, its agenda and items, a
task from the minutes, a collaboration deviation, the unit's groups, contacts and agreements,
and the personal calendar feed.

Each decorator fetches the object named in the URL, asks the policy (decide_meeting,
may_manage_meeting, may_run_meeting, decide_agenda_item, decide_task_done, decide_deviation,
decide_unit_staff, decide_calendar_feed), logs the refusal (and the read, where the page does
not log what it shows itself) and calls the view with the object and `decision=` as keyword
arguments. A refusal is a 404, except where the unit's own staff are told why they may not
change a meeting.

Agenda pages log what they show item by item (services_agenda.log_agenda_read and friends), so
their gate logs only refusals; the writes behind POST-only pages are logged by the services.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from insats.meetings.models import (
    AgendaItem,
    Agreement,
    CalendarFeed,
    Contact,
    Deviation,
    Group,
    Meeting,
    Task,
)

from .. import log, policy
from ..decorators import PUBLIC
from ..policy import Decision
from .core import Child, gated, int_or_404, record_fetch

MEETING_RELATED = ("unit", "group", "case", "case__unit", "convener", "plan_follow_up")
ITEM = Child(
    "item",
    AgendaItem,
    "item_pk",
    parent_field="meeting_id",
    related=("case__unit", "returnee__case", "registered_by"),
)
TASK_RELATED = ("meeting__case", "meeting__unit", "item__case", "item__returnee__case")
DEVIATION_RELATED = ("unit", "organisation", "reported_by", "case")


# --- Meetings ---------------------------------------------------------------------------------


def fetch_meeting(
    user, pk, *, log_as: str | None = log.Action.VIEW, detail: str = ""
) -> tuple[Meeting, Decision]:
    """The meeting if the user may see it (policy.decide_meeting), else 404.

    Refusals are always logged; an allowed fetch is logged as `log_as`, or not at all when
    `log_as` is None because the page logs exactly what it shows (the agenda).
    """
    meeting = Meeting.objects.select_related(*MEETING_RELATED).filter(pk=int_or_404(pk)).first()
    if meeting is None:
        raise Http404
    decision = policy.decide_meeting(user, meeting)
    if log_as is not None or not decision:
        record_fetch(
            user,
            decision,
            object_type="meeting",
            object_id=meeting.pk,
            case=meeting.case,
            unit_id=meeting.unit_id,
            log_as=log_as or log.Action.VIEW,
            detail=detail,
        )
    if not decision:
        raise Http404
    return meeting, decision


def meeting_view(
    *, manage: bool = False, log_as: str = log.Action.VIEW, kwarg: str = "meeting_pk"
) -> Callable:
    """A page of one meeting: the view is called with `meeting=` and `decision=`.

    `manage=True` is for planning pages (edit, attendance, cancel, invitations, the plan link):
    the unit's staff who may not change this meeting (a closed case, a cancelled meeting) are
    sent back to it with the reason; anyone else who may see it gets a 404 (logged).
    """

    def decorate(view):
        @wraps(view)
        def call(request, *args, **kwargs):
            meeting, decision = fetch_meeting(request.user, kwargs.pop(kwarg), log_as=log_as)
            if manage:
                managing = policy.may_manage_meeting(request.user, meeting)
                if not managing:
                    if meeting.unit_id not in policy.staff_units(request.user):
                        _refuse(request.user, meeting, "meeting", meeting.pk, "manage")
                    messages.error(request, managing.reason)
                    return redirect("meeting_detail", meeting_pk=meeting.pk)
                if meeting.status == Meeting.Status.CANCELLED:
                    messages.error(request, _("Mötet är inställt och kan inte ändras."))
                    return redirect("meeting_detail", meeting_pk=meeting.pk)
                decision = managing
            return view(request, *args, meeting=meeting, decision=decision, **kwargs)

        return gated("meeting", call)

    return decorate


def _refuse(user, meeting: Meeting, object_type: str, object_id, detail: str):
    """Log a refusal within a meeting the user may see, and answer 404."""
    record_fetch(
        user,
        policy.DENY,
        object_type=object_type,
        object_id=object_id,
        case=meeting.case,
        unit_id=meeting.unit_id,
        detail=detail,
    )
    raise Http404


def _agenda_meeting(user, pk, *, manage: bool, run: bool) -> tuple[Meeting, Decision]:
    meeting, decision = fetch_meeting(user, pk, log_as=None, detail="agenda")
    if manage:
        decision = policy.may_manage_meeting(user, meeting)
        if not decision:
            _refuse(user, meeting, "agenda_item", "", f"meeting={meeting.pk} write")
    if run:
        decision = policy.may_run_meeting(user, meeting)
        if not decision:
            _refuse(user, meeting, "agenda_item", "", f"meeting={meeting.pk} meeting mode")
    return meeting, decision


def agenda_view(*, manage: bool = False, run: bool = False, kwarg: str = "meeting_pk") -> Callable:
    """A page of a meeting's agenda: called with `meeting=` and `decision=`.

    `manage=True`: the agenda is kept by the unit's staff (policy.may_manage_meeting);
    `run=True`: meeting mode, for the staff or the convener (policy.may_run_meeting). Anyone
    else gets a 404, logged. The page itself logs which items it showed.
    """

    def decorate(view):
        @wraps(view)
        def call(request, *args, **kwargs):
            meeting, decision = _agenda_meeting(
                request.user, kwargs.pop(kwarg), manage=manage, run=run
            )
            return view(request, *args, meeting=meeting, decision=decision, **kwargs)

        return gated("meeting", call)

    return decorate


def _item_case(meeting: Meeting, item: AgendaItem):
    """The case a log entry about the item names."""
    if item.case_id is not None:
        return item.case
    if item.returnee_id is not None and item.returnee.case_id is not None:
        return item.returnee.case
    return meeting.case


def record_item(user, meeting: Meeting, item: AgendaItem, decision: Decision, action: str):
    """One entry for reading (or printing) one agenda item, or for being refused it."""
    record_fetch(
        user,
        decision,
        object_type="agenda_item",
        object_id=item.pk,
        case=_item_case(meeting, item),
        unit_id=meeting.unit_id,
        log_as=action,
        detail=f"meeting={meeting.pk} {'print' if action == log.Action.PRINT else 'read'}",
    )


def agenda_item_view(
    *, manage: bool = False, log_as: str | None = None, kwarg: str = "meeting_pk"
) -> Callable:
    """A page of one agenda item: called with `item=` (its meeting set), `meeting=` and
    `decision=`.

    The item is looked up within the meeting first (a wrong pair is a plain 404). With
    `manage=True` the unit's staff keep it; otherwise the user must see the item itself
    (policy.decide_agenda_item: a case item under the case's rule), and a refusal is logged
    against the item's case. `log_as` logs the allowed read (the PDF: PRINT).
    """

    def decorate(view):
        @wraps(view)
        def call(request, *args, **kwargs):
            pk = kwargs.pop(kwarg)
            item = ITEM.fetch(kwargs.pop(ITEM.kwarg), int_or_404(pk))
            meeting, decision = _agenda_meeting(request.user, pk, manage=manage, run=False)
            item.meeting = meeting
            if not manage:
                decision = policy.decide_agenda_item(request.user, meeting, item)
                if not decision or log_as is not None:
                    record_item(request.user, meeting, item, decision, log_as or log.Action.VIEW)
                if not decision:
                    raise Http404
            return view(request, *args, item=item, meeting=meeting, decision=decision, **kwargs)

        return gated("agenda_item", call)

    return decorate


def refuse_hidden_item(user, meeting: Meeting, number: int) -> None:
    """Meeting mode: writing minutes to an item the user may not see is refused (404, logged)."""
    _refuse(user, meeting, "agenda_item", "", f"meeting={meeting.pk} item={number} write")


# --- Tasks --------------------------------------------------------------------------------------


def task_view(*, kwarg: str = "task_pk") -> Callable:
    """Marking a task done: called with `task=` and `decision=` (policy.decide_task_done).

    A task of a meeting the user no longer has a ground for is refused like any other (404,
    logged); the change itself is logged by the service.
    """

    def decorate(view):
        @wraps(view)
        def call(request, *args, **kwargs):
            task = (
                Task.objects.select_related(*TASK_RELATED)
                .filter(pk=int_or_404(kwargs.pop(kwarg)))
                .first()
            )
            if task is None:
                raise Http404
            decision = policy.decide_task_done(request.user, task)
            if not decision:
                record_fetch(
                    request.user,
                    decision,
                    object_type="task",
                    object_id=task.pk,
                    unit_id=task.meeting.unit_id,
                    detail="done",
                )
                raise Http404
            return view(request, *args, task=task, decision=decision, **kwargs)

        return gated("task", call)

    return decorate


# --- Deviations ---------------------------------------------------------------------------------


def deviation_view(*, handle: bool = False, kwarg: str = "deviation_pk") -> Callable:
    """A page of one collaboration deviation: called with `deviation=`, `decision=`
    (policy.decide_deviation; `handle=True` for the staff's handling) and `linked_case=`, the
    linked case when the user may see it, else None (the page names it only then)."""

    def decorate(view):
        @wraps(view)
        def call(request, *args, **kwargs):
            deviation = (
                Deviation.objects.select_related(*DEVIATION_RELATED)
                .filter(pk=int_or_404(kwargs.pop(kwarg)))
                .first()
            )
            if deviation is None:
                raise Http404
            decision = policy.decide_deviation(request.user, deviation, handle=handle)
            linked = None
            if (
                decision
                and deviation.case_id is not None
                and policy.visible_item_cases(request.user, {deviation.case_id})
            ):
                linked = deviation.case
            record_fetch(
                request.user,
                decision,
                object_type="deviation",
                object_id=deviation.pk,
                case=linked,
                unit_id=deviation.unit_id,
                detail="handle" if handle else "read",
            )
            if not decision:
                raise Http404
            return view(
                request, *args, deviation=deviation, decision=decision, linked_case=linked, **kwargs
            )

        return gated("deviation", call)

    return decorate


def reporting_units_or_404(user) -> set[int]:
    """Units where the user reports and reads deviations; a 404 for someone with none."""
    units = policy.deviation_reporting_units(user)
    if not units:
        raise Http404
    return units


# --- The unit's groups, contacts and agreements -----------------------------------------------


def _unit_object_view(name: str, model, object_type: str, kwarg: str, related) -> Callable:
    """A page of one of the unit's collaboration records, kept by its social-services staff
    (policy.decide_unit_staff). Reads are logged; a POST is logged by the service's write."""

    def decide() -> Callable:
        def decorate(view):
            @wraps(view)
            def call(request, *args, **kwargs):
                found = (
                    model.objects.select_related(*related)
                    .filter(pk=int_or_404(kwargs.pop(kwarg)))
                    .first()
                )
                if found is None:
                    raise Http404
                writing = request.method == "POST"
                decision = policy.decide_unit_staff(request.user, found.unit_id)
                if not decision or not writing:
                    record_fetch(
                        request.user,
                        decision,
                        object_type=object_type,
                        object_id=found.pk,
                        unit_id=found.unit_id,
                        detail="write" if writing else "read",
                    )
                if not decision:
                    raise Http404
                return view(request, *args, **{name: found}, decision=decision, **kwargs)

            return gated(object_type, call)

        return decorate

    return decide


group_view = _unit_object_view("group", Group, "group", "group_pk", ("unit",))
contact_view = _unit_object_view(
    "contact", Contact, "contact", "contact_pk", ("unit", "organisation")
)
agreement_view = _unit_object_view("agreement", Agreement, "agreement", "agreement_pk", ("unit",))


# --- The personal calendar feed -----------------------------------------------------------------


def feed_view(view) -> Callable:
    """The calendar feed behind its secret token: called with `feed=`, `user=` (the feed's
    owner) and `decision=` (policy.decide_calendar_feed).

    Public by design — calendar programs cannot log in; the unguessable, revocable token names
    the user. An unknown or revoked token is a plain 404; a feed whose owner is deactivated or
    holds no active membership is a 404 too, logged, so the feed ends with the ground.
    """

    @wraps(view)
    def call(request, *args, token: str, **kwargs):
        feed = (
            CalendarFeed.objects.select_related("user")
            .filter(token=token, revoked_at__isnull=True)
            .first()
        )
        if feed is None:
            raise Http404
        decision = policy.decide_calendar_feed(feed.user)
        if not decision:
            record_fetch(
                feed.user,
                decision,
                object_type="calendar_feed",
                object_id=feed.pk,
                detail=decision.reason,
            )
            raise Http404
        return view(request, *args, feed=feed, user=feed.user, decision=decision, **kwargs)

    call.access_policy = PUBLIC
    call.gate = "calendar_feed"
    return call


__all__ = [
    "agenda_item_view",
    "agenda_view",
    "agreement_view",
    "contact_view",
    "deviation_view",
    "feed_view",
    "fetch_meeting",
    "group_view",
    "meeting_view",
    "record_item",
    "refuse_hidden_item",
    "reporting_units_or_404",
    "task_view",
]
