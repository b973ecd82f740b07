"""Meetings: the list, planning with invitations, the meeting page, attendance, cancelling,
and the personal calendar feed.

A meeting comes from the gate (insats/access/gate/meetings.py): read under
policy.decide_meeting (a meeting about a case only by those who may see the case), planned by
the unit's social-services staff (policy.may_manage_meeting); every fetch is logged there. The
calendar feed is the one public page: its secret token identifies the user, and it shows
exactly what the policy lets that user see today — nothing once the account or every
membership has ended.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from insats.access import log, policy
from insats.access.decorators import SIGNED_IN, access_policy
from insats.access.gate.cases import fetch_case
from insats.access.gate.core import int_or_404
from insats.access.gate.meetings import feed_view, meeting_view
from insats.access.gate.units import staff_units_or_404
from insats.core.forms import add_service_errors
from insats.plans.models import ActionPlan, PlanFollowUp

from .. import ics
from .. import services_meetings as services
from ..forms_meetings import (
    AttendanceForm,
    FollowUpLinkForm,
    MeetingFilterForm,
    MeetingForm,
    MeetingSetupForm,
    external_formset,
)
from ..models import CalendarFeed, Meeting

FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 365


def _link(request, meeting: Meeting) -> str:
    return request.build_absolute_uri(reverse("meeting_detail", args=[meeting.pk]))


def _log_meetings(user, object_type: str, meetings, detail: str = "", **extra) -> None:
    """One entry per unit naming the meetings (and cases) shown; one entry if none."""
    by_unit: dict[int, list] = {}
    for meeting in meetings:
        by_unit.setdefault(meeting.unit_id, []).append(meeting)
    if not by_unit:
        log.record(
            user=user, action=log.Action.SEARCH, object_type=object_type, detail=detail, **extra
        )
        return
    for unit_id, shown in sorted(by_unit.items()):
        cases = sorted({m.case_id for m in shown if m.case_id})
        log.record(
            user=user,
            action=log.Action.SEARCH,
            object_type=object_type,
            unit_id=unit_id,
            detail=" ".join(
                part
                for part in (
                    detail,
                    f"meetings={','.join(str(m.pk) for m in shown)}",
                    f"cases={','.join(map(str, cases))}" if cases else "",
                )
                if part
            ),
            **extra,
        )


# --- The list -----------------------------------------------------------------------------------


@access_policy(SIGNED_IN)
def meeting_list(request):
    form = MeetingFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    show = filters.get("visa") or MeetingFilterForm.UPCOMING
    meetings = policy.meetings_visible_to(request.user).select_related("group", "case", "convener")
    if filters.get("typ"):
        meetings = meetings.filter(kind=filters["typ"])
    now = timezone.now()
    if show == MeetingFilterForm.UPCOMING:
        meetings = meetings.filter(ends_at__gte=now).order_by("starts_at", "pk")
    elif show == MeetingFilterForm.PAST:
        meetings = meetings.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    else:
        meetings = meetings.order_by("-starts_at", "-pk")
    if filters.get("fran"):
        meetings = meetings.filter(starts_at__gte=_day_start(filters["fran"]))
    if filters.get("till"):
        meetings = meetings.filter(starts_at__lt=_day_start(filters["till"] + timedelta(days=1)))
    page = Paginator(meetings, settings.INSATS_PAGE_SIZE).get_page(request.GET.get("sida"))
    _log_meetings(
        request.user,
        "meeting_list",
        page.object_list,
        detail=" ".join(f"{k}={v}" for k, v in filters.items() if v),
    )
    query = request.GET.copy()
    query.pop("sida", None)
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "form": form,
            "page": page,
            "show": show,
            "query": query.urlencode(),
            "may_create": bool(policy.staff_units(request.user)),
        },
    )


def _day_start(day) -> datetime:
    return datetime.combine(day, time.min).replace(tzinfo=ics.STOCKHOLM)


# --- Planning -----------------------------------------------------------------------------------


@access_policy(SIGNED_IN)
def meeting_create(request):
    """Choose kind and group or case (a GET form), then the details and the invitees."""
    staff_units_or_404(request.user)
    units = policy.units_visible_to(request.user).order_by("name")
    cases = services.case_choices(request.user).select_related("unit", "coordinator")
    setup = MeetingSetupForm(
        request.GET if "kind" in request.GET else None, units=units, cases=cases
    )
    if not setup.is_bound or not setup.is_valid():
        return render(request, "meetings/meeting_setup.html", {"setup": setup})
    kind, unit = setup.cleaned_data["kind"], setup.cleaned_data["unit"]
    group, case = setup.cleaned_data["group"], setup.cleaned_data["case"]
    if case is not None:
        # The invitees shown are the case's group: fetched (and logged) through the policy.
        case, _decision = fetch_case(request.user, case.pk, object_type="case_members")
    candidates = services.default_invitees(group=group, case=case)
    data = request.POST if request.method == "POST" else None
    form = MeetingForm(
        data,
        about_case=case is not None,
        staff=policy.unit_staff(unit.pk).order_by("first_name", "last_name"),
        candidates=candidates,
        memberships=services.invitable_memberships(unit.pk),
        initial={
            "date": services.propose_date(group),
            "start_time": time(9, 0),
            "end_time": time(10, 0),
            "convener": request.user.pk,
            # Only invitees with a ground are proposed; the others are listed with a warning.
            "invitees": [key for key, invitee in candidates if invitee.has_ground],
        },
    )
    externals = external_formset(data, unit=unit)
    if data is not None and all([form.is_valid(), externals.is_valid()]):
        try:
            meeting = services.meeting_create(
                unit=unit,
                by=request.user,
                kind=kind,
                group=group,
                case=case,
                invitees=form.chosen_invitees(externals),
                **form.details(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Mötet är planerat. Skicka inbjudningarna när mötet är klart att kallas till."),
            )
            return redirect("meeting_detail", meeting_pk=meeting.pk)
    return render(
        request,
        "meetings/meeting_form.html",
        {
            "form": form,
            "externals": externals,
            "kind": Meeting.Kind(kind),
            "group": group,
            "case": case,
            "setup_query": request.GET.urlencode(),
            "proposed": group is not None,
        },
    )


@meeting_view()
def meeting_detail(request, meeting, decision):
    invitations = list(meeting.invitations.select_related("user", "organisation"))
    manage = policy.may_manage_meeting(request.user, meeting)
    may_manage = bool(manage) and meeting.status != Meeting.Status.CANCELLED
    context = {
        "meeting": meeting,
        "invitations": invitations,
        "may_manage": may_manage,
        "manage_reason": "" if manage else manage.reason,
        "is_staff": meeting.unit_id in policy.staff_units(request.user),
        "shows_case": meeting.case_id is not None and bool(decision),
        "sent_any": any(i.sent_at for i in invitations),
        "without_address": sum(1 for i in invitations if not services.address_of(i)),
        "without_ground": len(services.without_ground(meeting, invitations)),
        "attendance_recorded": any(i.attended is not None for i in invitations),
    }
    context.update(_plan_context(meeting, decision, may_manage))
    return render(request, "meetings/meeting_detail.html", context)


def _plan_context(meeting: Meeting, decision, may_manage: bool, form=None) -> dict:
    """An individual-group meeting follows up the case's action plan: the link and the select."""
    if meeting.kind != Meeting.Kind.INDIVIDUAL or meeting.case_id is None:
        return {}
    if not policy.may_read_section(decision, policy.Section.PLAN):
        return {}
    plan = ActionPlan.objects.filter(case_id=meeting.case_id).first()
    context = {"plan": plan, "may_read_plan": True}
    if plan is not None and may_manage:
        context["follow_up_form"] = form or FollowUpLinkForm(
            initial={"follow_up": meeting.plan_follow_up_id},
            follow_ups=PlanFollowUp.objects.filter(plan=plan),
        )
    return context


@require_POST
@meeting_view(manage=True)
def meeting_follow_up(request, meeting, decision):
    """Link the meeting to a follow-up of the case's action plan (or remove the link)."""
    plan = ActionPlan.objects.filter(case_id=meeting.case_id).first()
    if meeting.kind != Meeting.Kind.INDIVIDUAL or plan is None:
        raise Http404
    form = FollowUpLinkForm(request.POST, follow_ups=PlanFollowUp.objects.filter(plan=plan))
    if form.is_valid():
        try:
            services.meeting_link_follow_up(
                meeting=meeting, by=request.user, follow_up=form.cleaned_data["follow_up"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Kopplingen till uppföljningen är sparad."))
            return redirect("meeting_detail", meeting_pk=meeting.pk)
    for error in form.errors.get("follow_up", []) + form.non_field_errors():
        messages.error(request, error)
    return redirect("meeting_detail", meeting_pk=meeting.pk)


def _edit_candidates(meeting: Meeting):
    """The current invitees (ticked) and the group's or case's members not yet invited; each
    with the warning of an invitee without a ground (services.invitation_warnings)."""
    candidates, ticked = [], []
    users, addresses = set(), set()
    invitations = list(meeting.invitations.select_related("user", "organisation"))
    warnings = services.invitation_warnings(meeting, invitations)
    for invitation in invitations:
        if invitation.user_id:
            key = f"u{invitation.user_id}"
            users.add(key)
            invitee = services.Invitee(
                invitation.user,
                organisation=invitation.organisation,
                warning=warnings[invitation.pk],
            )
        else:
            key = f"i{invitation.pk}"
            addresses.add((invitation.name.lower(), invitation.email.lower()))
            invitee = services.Invitee(
                name=invitation.name,
                email=invitation.email,
                organisation=invitation.organisation,
                invitation_pk=invitation.pk,
                warning=warnings[invitation.pk],
            )
        candidates.append((key, invitee))
        ticked.append(key)
    for key, invitee in services.default_invitees(group=meeting.group, case=meeting.case):
        if key in users or (invitee.name.lower(), invitee.email.lower()) in addresses:
            continue
        candidates.append((key, invitee))
    return candidates, ticked


@meeting_view(manage=True)
def meeting_edit(request, meeting, decision):
    candidates, ticked = _edit_candidates(meeting)
    data = request.POST if request.method == "POST" else None
    form = MeetingForm(
        data,
        about_case=meeting.case_id is not None,
        staff=policy.unit_staff(meeting.unit_id).order_by("first_name", "last_name"),
        candidates=candidates,
        memberships=services.invitable_memberships(meeting.unit_id),
        meeting=meeting,
        initial={"invitees": ticked},
    )
    externals = external_formset(data, unit=meeting.unit)
    if data is not None and all([form.is_valid(), externals.is_valid()]):
        try:
            result = services.meeting_update(
                meeting=meeting,
                by=request.user,
                invitees=form.chosen_invitees(externals),
                link=_link(request, meeting),
                **form.details(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Mötet är ändrat."))
            if result.rescheduled and meeting.invitations.filter(sent_at__isnull=False).exists():
                messages.warning(
                    request,
                    _(
                        "Tid eller plats är ändrad. Skicka inbjudningarna igen så att de "
                        "inbjudnas kalendrar uppdateras."
                    ),
                )
            if result.cancelled_for:
                messages.info(
                    request,
                    ngettext(
                        "%(count)s person som inte längre är inbjuden fick en avbokning.",
                        "%(count)s personer som inte längre är inbjudna fick en avbokning.",
                        result.cancelled_for,
                    )
                    % {"count": result.cancelled_for},
                )
            return redirect("meeting_detail", meeting_pk=meeting.pk)
    return render(
        request,
        "meetings/meeting_form.html",
        {
            "form": form,
            "externals": externals,
            "meeting": meeting,
            "kind": Meeting.Kind(meeting.kind),
            "group": meeting.group,
            "case": meeting.case,
        },
    )


@meeting_view(manage=True)
def meeting_attendance(request, meeting, decision):
    """Tick who attended and mark the meeting held."""
    invitations = list(meeting.invitations.select_related("user", "organisation"))
    form = AttendanceForm(
        request.POST if request.method == "POST" else None,
        invitations=invitations,
        initial={
            "held": meeting.status == Meeting.Status.HELD or meeting.starts_at <= timezone.now()
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_record_attendance(
                meeting=meeting,
                by=request.user,
                attended=form.cleaned_data["attended"],
                held=form.cleaned_data["held"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Närvaron är sparad."))
            return redirect("meeting_detail", meeting_pk=meeting.pk)
    return render(
        request,
        "meetings/meeting_attendance.html",
        {"meeting": meeting, "form": form, "invitations": invitations},
    )


@meeting_view(manage=True)
def meeting_cancel(request, meeting, decision):
    error = ""
    if request.method == "POST":
        try:
            sent = services.meeting_cancel(
                meeting=meeting, by=request.user, link=_link(request, meeting)
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            message = _("Mötet är inställt.")
            if sent:
                message += " " + ngettext(
                    "%(count)s inbjuden fick en avbokning.",
                    "%(count)s inbjudna fick en avbokning.",
                    sent,
                ) % {"count": sent}
            messages.success(request, message)
            return redirect("meeting_detail", meeting_pk=meeting.pk)
    return render(
        request,
        "meetings/meeting_cancel.html",
        {
            "meeting": meeting,
            "error": error,
            "sent_count": meeting.invitations.filter(sent_at__isnull=False).count(),
        },
    )


@require_POST
@meeting_view(manage=True)
def meeting_send_invitations(request, meeting, decision):
    """E-mail every invitee with an address the invitation and its calendar file."""
    try:
        result = services.send_invitations(
            meeting=meeting, by=request.user, link=_link(request, meeting)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("meeting_detail", meeting_pk=meeting.pk)
    if result.sent:
        messages.success(
            request,
            ngettext(
                "Inbjudan är skickad till %(count)s person.",
                "Inbjudan är skickad till %(count)s personer.",
                result.sent,
            )
            % {"count": result.sent},
        )
    if result.without_address:
        messages.warning(
            request,
            ngettext(
                "%(count)s inbjuden saknar e-postadress och fick ingen inbjudan.",
                "%(count)s inbjudna saknar e-postadress och fick ingen inbjudan.",
                result.without_address,
            )
            % {"count": result.without_address},
        )
    if result.without_ground:
        messages.warning(
            request,
            ngettext(
                "%(count)s inbjuden har ingen aktiv roll i enheten längre och fick ingen inbjudan.",
                "%(count)s inbjudna har ingen aktiv roll i enheten längre och fick ingen inbjudan.",
                result.without_ground,
            )
            % {"count": result.without_ground},
        )
    return redirect("meeting_detail", meeting_pk=meeting.pk)


# --- The personal calendar feed ---------------------------------------------------------------

NEW_FEED_SESSION_KEY = "meetings_new_calendar_feed"


@access_policy(SIGNED_IN)
def calendar_settings(request):
    """Create, revoke or replace the secret address of the user's calendar feed.

    The full address is shown once, right after it is made; later only a masked form.
    """
    feeds = CalendarFeed.objects.filter(user=request.user)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            feed = services.feed_create(user=request.user)
            request.session[NEW_FEED_SESSION_KEY] = feed.pk
            messages.success(
                request,
                _("Kalenderadressen är skapad. Kopiera den nu – den visas bara en gång."),
            )
        elif action == "revoke":
            feed = feeds.filter(pk=int_or_404(request.POST.get("feed"))).first()
            if feed is None:
                raise Http404
            services.feed_revoke(feed=feed, by=request.user)
            messages.success(
                request, _("Kalenderadressen är återkallad och slutar fungera direkt.")
            )
        else:
            raise Http404
        return redirect("calendar_settings")
    new_pk = request.session.pop(NEW_FEED_SESSION_KEY, None)
    rows = []
    for feed in feeds:
        url = request.build_absolute_uri(reverse("calendar_feed", args=[feed.token]))
        shown = feed.pk == new_pk and feed.revoked_at is None
        masked = url.replace(feed.token, f"{feed.token[:4]}…")
        rows.append({"feed": feed, "url": url if shown else masked, "new": shown})
    active = [row for row in rows if row["feed"].revoked_at is None]
    return render(
        request,
        "meetings/calendar_settings.html",
        {
            "active": active,
            "revoked": [row for row in rows if row["feed"].revoked_at is not None],
        },
    )


@feed_view
def calendar_feed(request, feed, user, decision):
    """The user's meetings as iCalendar, from 30 days back to a year ahead.

    Public by design: the secret token in the address identifies the user (see the gate). An
    unknown or revoked token, a deactivated user or one without an active membership gets a
    404.
    """
    now = timezone.now()
    meetings = list(
        policy.meetings_visible_to(user)
        .filter(
            starts_at__gte=now - timedelta(days=FEED_DAYS_BACK),
            starts_at__lte=now + timedelta(days=FEED_DAYS_AHEAD),
        )
        .select_related("group", "case", "convener")
        .prefetch_related(
            Prefetch("items", queryset=ics.general_items_queryset(), to_attr="general_items")
        )
        .order_by("starts_at", "pk")
    )
    visible = policy.visible_item_cases(user, {m.case_id for m in meetings if m.case_id})
    content = ics.feed_ics(
        user,
        meetings,
        visible_case_ids=visible,
        link_for=lambda meeting: _link(request, meeting),
    )
    _log_meetings(user, "calendar_feed", meetings, detail=f"feed={feed.pk}", object_id=feed.pk)
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="insats.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("moten/", meeting_list, name="meetings"),
    path("moten/nytt/", meeting_create, name="meeting_create"),
    path("moten/<int:meeting_pk>/", meeting_detail, name="meeting_detail"),
    path("moten/<int:meeting_pk>/andra/", meeting_edit, name="meeting_edit"),
    path("moten/<int:meeting_pk>/narvaro/", meeting_attendance, name="meeting_attendance"),
    path("moten/<int:meeting_pk>/stall-in/", meeting_cancel, name="meeting_cancel"),
    path(
        "moten/<int:meeting_pk>/skicka-inbjudan/",
        meeting_send_invitations,
        name="meeting_send_invitations",
    ),
    path(
        "moten/<int:meeting_pk>/uppfoljning/",
        meeting_follow_up,
        name="meeting_follow_up",
    ),
    path("kalender/", calendar_settings, name="calendar_settings"),
    path("kalender/<str:token>.ics", calendar_feed, name="calendar_feed"),
]
