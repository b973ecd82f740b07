"""The agenda of a meeting in three parts, meeting mode, minutes, tasks and their PDFs.

The meeting (and an item named in the URL) comes from the gate (insats/access/gate/
meetings.py). Who may see the meeting at all is policy.decide_meeting; within it, each item is
read under its own rule (policy.agenda_item_shown): an item about a case only by those who may
see the case, a returnee item only by the unit's social-services staff, the general part by
everyone at the meeting. Everyone else sees the item de-identified. The unit's staff keep the
agenda and the minutes (policy.may_manage_meeting); meeting mode is theirs and the convener's
(policy.may_run_meeting).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from insats.access import log, policy
from insats.access.decorators import SIGNED_IN, access_policy
from insats.access.gate.core import int_or_404
from insats.access.gate.meetings import (
    agenda_item_view,
    agenda_view,
    refuse_hidden_item,
    task_view,
)
from insats.core.forms import add_service_errors
from insats.documents.pdf import pdf_response, render_pdf

from .. import selectors_agenda as selectors
from .. import services_agenda as services
from ..forms_agenda import (
    ItemForm,
    MinutesForm,
    item_initial,
    split_service_errors,
    summary,
    task_formset,
    task_rows,
)
from ..models import AgendaItem, Meeting

Part = AgendaItem.Part
PART_PARAM = "del"
ITEM_PARAM = "punkt"
POSTED_ITEM = "punkt_id"  # the item a meeting-mode form was opened for
GENERAL_STEP = "allman"


def _today():
    """Today in Stockholm (a seam for tests that freeze the day)."""
    return timezone.localdate()


# --- The agenda -------------------------------------------------------------------------------


@agenda_view()
def agenda(request, meeting, decision):
    today = _today()
    shown = selectors.agenda(request.user, meeting, today)
    services.log_agenda_read(request.user, shown)
    return render(
        request,
        "meetings/agenda_detail.html",
        {
            "meeting": meeting,
            "agenda": shown,
            "may_manage": bool(policy.may_manage_meeting(request.user, meeting)),
            "may_run": bool(policy.may_run_meeting(request.user, meeting)),
            "parts": [
                (Part.INDIVIDUAL, Part.INDIVIDUAL.label, shown.individual),
                (Part.RETURNEES, Part.RETURNEES.label, shown.returnees),
                (Part.GENERAL, Part.GENERAL.label, shown.general),
            ],
            "today": today,
        },
    )


def _item_form_page(request, meeting: Meeting, part: str, item: AgendaItem | None):
    if request.method == "POST":
        form = ItemForm(request.POST, part=part, meeting=meeting, user=request.user, item=item)
        if form.is_valid():
            data = {
                "case": form.cleaned_data.get("case"),
                "returnee": form.cleaned_data.get("returnee"),
                "title": form.cleaned_data.get("title") or "",
                "preparation": form.cleaned_data.get("preparation") or "",
            }
            try:
                if item is None:
                    services.item_create(meeting=meeting, by=request.user, part=part, **data)
                else:
                    services.item_update(item=item, by=request.user, **data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Punkten är sparad på dagordningen."))
                return redirect("agenda", meeting_pk=meeting.pk)
    elif item is not None:
        services.log_item_read(request.user, item)
        form = ItemForm(
            initial=item_initial(item), part=part, meeting=meeting, user=request.user, item=item
        )
    else:
        form = ItemForm(part=part, meeting=meeting, user=request.user)
    return render(
        request,
        "meetings/agenda_item_form.html",
        {
            "meeting": meeting,
            "item": item,
            "part": part,
            "part_label": Part(part).label,
            "form": form,
        },
    )


@agenda_view(manage=True)
def agenda_item_create(request, meeting, decision):
    part = request.GET.get(PART_PARAM, "")
    if part not in Part.values:
        raise Http404
    return _item_form_page(request, meeting, part, None)


@agenda_item_view(manage=True)
def agenda_item_edit(request, item, meeting, decision):
    return _item_form_page(request, meeting, item.part, item)


@agenda_item_view(manage=True)
def agenda_item_delete(request, item, meeting, decision):
    if request.method == "POST":
        services.item_delete(item=item, by=request.user)
        messages.success(request, _("Punkten är borttagen från dagordningen."))
        return redirect("agenda", meeting_pk=meeting.pk)
    services.log_item_read(request.user, item)
    return render(
        request,
        "meetings/agenda_item_delete.html",
        {"meeting": meeting, "item": item, "tasks": item.tasks.count()},
    )


@require_POST
@agenda_item_view(manage=True)
def agenda_item_move(request, item, meeting, decision):
    direction = {"upp": "up", "ned": "down"}.get(request.POST.get("riktning", ""))
    if direction is None:
        messages.error(request, _("Välj om punkten ska flyttas upp eller ned."))
    else:
        services.item_move(item=item, by=request.user, direction=direction)
        messages.success(request, _("Punkten är flyttad."))
    return redirect(reverse("agenda", args=[meeting.pk]) + f"#punkt-{item.pk}")


# --- Meeting mode -----------------------------------------------------------------------------


@agenda_view(run=True)
def meeting_mode(request, meeting, decision):
    """Walk the agenda item by item: minutes and tasks for each, then the general minutes."""
    today = _today()
    shown = selectors.agenda(request.user, meeting, today)
    steps = len(shown.rows) + 1  # every item, then the general minutes
    number = request.GET.get(ITEM_PARAM, "1")
    number = int_or_404(number) if number else 1
    if not 1 <= number <= steps:
        raise Http404
    row = shown.row(number)
    posted = request.POST.get(POSTED_ITEM, "") if request.method == "POST" else ""
    if posted:
        # The form names the item it was opened for: if the agenda changed meanwhile, the
        # minutes still go to that item (never to whichever item now has the number).
        if posted == GENERAL_STEP:
            number, row = steps, None
        else:
            match = next((r for r in shown.rows if r.shown and str(r.item.pk) == posted), None)
            if match is None:
                messages.error(request, _("Punkten finns inte längre på dagordningen."))
                return redirect(f"{reverse('meeting_mode', args=[meeting.pk])}?punkt={number}")
            number, row = match.number, match
    is_general_step = row is None
    if row is not None and not row.shown:
        if request.method == "POST":
            refuse_hidden_item(request.user, meeting, number)
        return _mode_page(request, meeting, shown, number, steps, row, None, None, [])
    users = selectors.responsible_users(meeting)
    tasks = shown.meeting_tasks if is_general_step else row.tasks
    initial = meeting.general_minutes if is_general_step else row.item.minutes
    task_errors: list[str] = []
    if request.method == "POST":
        form = MinutesForm(request.POST)
        formset = task_formset(request.POST, users=users, tasks=tasks)
        form_valid = form.is_valid()
        if formset.is_valid() and form_valid:
            try:
                if is_general_step:
                    services.general_minutes_save(
                        meeting=meeting,
                        by=request.user,
                        minutes=form.cleaned_data["minutes"],
                        tasks=task_rows(formset),
                    )
                else:
                    row.item.meeting = meeting
                    services.item_minutes_save(
                        item=row.item,
                        by=request.user,
                        minutes=form.cleaned_data["minutes"],
                        tasks=task_rows(formset),
                    )
            except ValidationError as exc:
                rest, task_errors = split_service_errors(exc)
                if rest is not None:
                    add_service_errors(form, rest)
            else:
                messages.success(request, _("Protokollet för punkten är sparat."))
                target = number + 1 if "nasta" in request.POST and number < steps else number
                return redirect(f"{reverse('meeting_mode', args=[meeting.pk])}?punkt={target}")
    else:
        if not is_general_step:
            row.item.meeting = meeting
            services.log_item_read(request.user, row.item)
        form = MinutesForm(initial={"minutes": initial})
        formset = task_formset(users=users, tasks=tasks)
    return _mode_page(request, meeting, shown, number, steps, row, form, formset, task_errors)


def _mode_page(request, meeting, shown, number, steps, row, form, formset, task_errors):
    return render(
        request,
        "meetings/agenda_meeting_mode.html",
        {
            "meeting": meeting,
            "agenda": shown,
            "number": number,
            "steps": steps,
            "row": row,
            "is_general_step": row is None,
            "posted_item": GENERAL_STEP if row is None else row.item.pk if row.shown else "",
            "previous": number - 1 if number > 1 else None,
            "next": number + 1 if number < steps else None,
            "form": form,
            "formset": formset,
            "task_errors": task_errors,
            "errors": summary(form, formset, task_errors) if form is not None else [],
            "today": _today(),
        },
    )


# --- PDFs -------------------------------------------------------------------------------------


@agenda_item_view(log_as=log.Action.PRINT)
def agenda_item_pdf(request, item, meeting, decision):
    """One item's minutes, for those who may see the item; everyone else gets a 404 (gate)."""
    shown = selectors.agenda(request.user, meeting, _today())
    # The gate let the user see this item, under the same rule as the agenda's rows.
    row = next(r for r in shown.rows if r.shown and r.item.pk == item.pk)
    context = {"meeting": meeting, "row": row, "item": row.item, "tasks": row.tasks}
    pdf = render_pdf("documents/agenda_item.html", context, request=request)
    return pdf_response(pdf, f"protokoll-{meeting.pk}-punkt-{row.number}.pdf")


@agenda_view()
def meeting_minutes_pdf(request, meeting, decision):
    """The whole meeting's minutes: the general part only, every other item de-identified."""
    shown = selectors.agenda(request.user, meeting, _today())
    log.record(
        user=request.user,
        action=log.Action.PRINT,
        object_type="meeting",
        case=meeting.case if meeting.case_id is not None else None,
        unit_id=meeting.unit_id,
        object_id=meeting.pk,
        detail="minutes general part",
    )
    general = [row for row in shown.general if row.shown and row.item.case_id is None]
    numbers = {row.number for row in general}
    context = {
        "meeting": meeting,
        "outline": [
            (
                row.number,
                row.item.title if row.number in numbers else selectors.hidden_label(row.part),
            )
            for row in shown.rows
        ],
        "general": general,
        "meeting_tasks": shown.meeting_tasks,
        "invitations": meeting.invitations.select_related("user", "organisation"),
    }
    pdf = render_pdf("documents/meeting_general.html", context, request=request)
    return pdf_response(pdf, f"protokoll-{meeting.pk}.pdf")


# --- Tasks ------------------------------------------------------------------------------------


@access_policy(SIGNED_IN)
def my_tasks(request):
    """The user's open tasks from meetings, overdue first in colour, soonest due first."""
    today = _today()
    rows = selectors.open_tasks(request.user, today)
    policy.log_listing(request.user, "task", selectors.shown_cases(rows))
    return render(
        request,
        "meetings/tasks_mine.html",
        {
            "rows": rows,
            "overdue": [row for row in rows if row.overdue],
            "upcoming": [row for row in rows if not row.overdue],
            "today": today,
        },
    )


@require_POST
@task_view()
def task_done(request, task, decision):
    """Mark a task done: its responsible (while they may see the meeting), or the staff of the
    meeting's unit (policy.decide_task_done, in the gate)."""
    try:
        services.task_mark_done(task=task, by=request.user, done_on=_today())
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Uppgiften är markerad som klar."))
    if request.POST.get("tillbaka") == "dagordning":
        return redirect("agenda", meeting_pk=task.meeting_id)
    return redirect("my_tasks")


urlpatterns = [
    path("moten/<int:meeting_pk>/dagordning/", agenda, name="agenda"),
    path("moten/<int:meeting_pk>/dagordning/ny/", agenda_item_create, name="agenda_item_create"),
    path(
        "moten/<int:meeting_pk>/punkt/<int:item_pk>/andra/",
        agenda_item_edit,
        name="agenda_item_edit",
    ),
    path(
        "moten/<int:meeting_pk>/punkt/<int:item_pk>/ta-bort/",
        agenda_item_delete,
        name="agenda_item_delete",
    ),
    path(
        "moten/<int:meeting_pk>/punkt/<int:item_pk>/flytta/",
        agenda_item_move,
        name="agenda_item_move",
    ),
    path(
        "moten/<int:meeting_pk>/punkt/<int:item_pk>/protokoll.pdf",
        agenda_item_pdf,
        name="agenda_item_pdf",
    ),
    path("moten/<int:meeting_pk>/motelage/", meeting_mode, name="meeting_mode"),
    path("moten/<int:meeting_pk>/protokoll.pdf", meeting_minutes_pdf, name="meeting_minutes_pdf"),
    path("uppgifter/", my_tasks, name="my_tasks"),
    path("uppgifter/<int:task_pk>/klar/", task_done, name="task_done"),
]
