"""Personalsäkerhet: the yearly safety talks and the coordinators' competence checklist.

Who sees what (policy.review_units and the user's own records, nothing else):
- a unit's supervisors see its operative staff, hold, change, sign and share talks and keep the
  coordinators' competence checklists; with several units they pick one with ?enhet=<pk>;
- a staff member reads their own talks and their own competence checklist, never edits them;
- everyone else gets a 404 (logged when the object exists).
A talk and a checklist come from the gate (insats/access/gate/staffsafety.py), which fetches,
decides and logs the read; every change is logged by services.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.decorators import SIGNED_IN, access_policy
from insats.access.gate.staffsafety import (
    competence_view,
    record_talk,
    refuse_talk,
    staff_safety_scope_or_404,
    talk_view,
)
from insats.access.gate.units import review_units_or_404
from insats.core.forms import add_service_errors
from insats.core.units import UNIT_PARAM, chosen_unit
from insats.documents.pdf import pdf_response
from insats.organisations.models import Unit

from . import forms, selectors, services
from .pdf import talk_pdf

EMPLOYEE_PARAM = "medarbetare"


# --- Units and objects -----------------------------------------------------------------------


def _url(name: str, unit_id: int, *args, **query) -> str:
    return f"{reverse(name, args=args)}?{urlencode({UNIT_PARAM: unit_id, **query})}"


def _unit_context(units: list[Unit], unit: Unit, name: str) -> dict:
    return {
        "unit": unit,
        "other_units": [(other, _url(name, other.pk)) for other in units if other.pk != unit.pk],
    }


# --- The overview ---------------------------------------------------------------------------


@access_policy(SIGNED_IN)
def overview(request):
    """The supervisor's unit (staff, talks, competence) and the user's own talks."""
    user = request.user
    today = timezone.localdate()
    units, own_talks, own_competence, operative = staff_safety_scope_or_404(user)
    context: dict = {
        "own_talks": own_talks,
        # The next talk is due a year after the latest signed one (newest first in the list).
        "own_next": next((talk for talk in own_talks if talk.is_signed), None),
        "own_competence": own_competence,
        "shows_own": bool(operative or own_talks or own_competence),
        "today": today,
    }
    if units:
        unit = chosen_unit(request, units)
        services.unit_copy_template_items(unit=unit)
        rows = selectors.staff_overview(unit, today)
        competence, items = selectors.competence_overview(unit)
        log.record(
            user=user,
            action=log.Action.SEARCH,
            object_type="safety_talk",
            unit_id=unit.pk,
            detail="staff={} talks={}".format(
                ",".join(str(row.user.pk) for row in rows),
                ",".join(
                    str(talk.pk) for row in rows for talk in (row.last_talk, row.draft) if talk
                ),
            ),
        )
        log.record(
            user=user,
            action=log.Action.SEARCH,
            object_type="competence",
            unit_id=unit.pk,
            detail=f"coordinators={','.join(str(row.user.pk) for row in competence)}",
        )
        context.update(
            _unit_context(units, unit, "staff_safety"),
            rows=rows,
            overdue=sum(1 for row in rows if row.status == selectors.Status.OVERDUE),
            due_soon=sum(1 for row in rows if row.status == selectors.Status.DUE_SOON),
            competence=competence,
            competence_items=items,
            create_url=_url("safety_talk_create", unit.pk),
            employee_param=EMPLOYEE_PARAM,
        )
    by_unit: dict[int, list[int]] = {}
    for talk in own_talks:
        by_unit.setdefault(talk.unit_id, []).append(talk.pk)
    for unit_id, ids in sorted(by_unit.items()):
        log.record(
            user=user,
            action=log.Action.SEARCH,
            object_type="safety_talk",
            unit_id=unit_id,
            detail=f"own talks={','.join(map(str, ids))}",
        )
    return render(request, "staffsafety/overview.html", context)


# --- One talk -------------------------------------------------------------------------------


@access_policy(SIGNED_IN)
def talk_create(request):
    units = review_units_or_404(request.user)
    unit = chosen_unit(request, units)
    services.unit_copy_template_items(unit=unit)
    items = list(selectors.checklist_items(unit.pk))
    errors: list = []
    if request.method == "POST":
        form = forms.TalkForm(request.POST, unit=unit, by=request.user)
        formset = forms.item_formset(request.POST, rows=items)
        valid = form.is_valid()
        if formset.is_valid() and valid:
            try:
                talk = services.talk_create(
                    unit=unit,
                    by=request.user,
                    items=forms.new_item_rows(formset),
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Säkerhetssamtalet är sparat. Underteckna det när dokumentationen är klar."),
                )
                return redirect("safety_talk_detail", talk_pk=talk.pk)
        errors = forms.summary(form, formset)
    else:
        initial = {"held_on": timezone.localdate(), "manager": request.user.pk}
        wanted = request.GET.get(EMPLOYEE_PARAM, "")
        if wanted.isdigit():
            initial["employee"] = int(wanted)
        form = forms.TalkForm(initial=initial, unit=unit, by=request.user)
        formset = forms.item_formset(rows=items)
    return render(
        request,
        "staffsafety/talk_form.html",
        {
            **_unit_context(units, unit, "safety_talk_create"),
            "form": form,
            "formset": formset,
            "groups": selectors.grouped(formset.forms),
            "errors": errors,
            "talk": None,
            "back_url": _url("staff_safety", unit.pk),
        },
    )


@talk_view()
def talk_detail(request, talk, decision):
    supervises = talk.unit_id in policy.review_units(request.user)
    return render(
        request,
        "staffsafety/talk_detail.html",
        {
            "talk": talk,
            "groups": selectors.grouped(selectors.talk_items(talk)),
            "supervises": supervises,
            "may_edit": not services.edit_refusal(talk, request.user),
            "may_sign": not services.sign_refusal(talk, request.user),
            "may_share": not services.share_refusal(talk, request.user),
            # The history is the supervisors' view of the employee; not fetched for anyone else.
            "earlier": selectors.earlier_talks(talk) if supervises else [],
            "back_url": _url("staff_safety", talk.unit_id),
        },
    )


@talk_view(log_as=None)
def talk_edit(request, talk, decision):
    refusal = services.edit_refusal(talk, request.user)
    if refusal:
        messages.error(request, refusal)
        return redirect("safety_talk_detail", talk_pk=talk.pk)
    items = selectors.talk_items(talk)
    errors: list = []
    if request.method == "POST":
        form = forms.TalkForm(request.POST, unit=talk.unit, by=request.user)
        formset = forms.item_formset(request.POST, rows=items)
        valid = form.is_valid()
        if formset.is_valid() and valid:
            try:
                services.talk_update(
                    talk=talk,
                    by=request.user,
                    items=forms.talk_item_rows(formset),
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Säkerhetssamtalet är ändrat."))
                return redirect("safety_talk_detail", talk_pk=talk.pk)
        errors = forms.summary(form, formset)
        record_talk(request, talk, decision)  # the page shown again holds the talk
    else:
        record_talk(request, talk, decision)
        form = forms.TalkForm(
            initial={
                "employee": talk.employee_id,
                "held_on": talk.held_on,
                "manager": talk.manager_id,
                "notes": talk.notes,
            },
            unit=talk.unit,
            by=request.user,
        )
        formset = forms.item_formset(rows=items, initial=forms.talk_item_initial(items))
    return render(
        request,
        "staffsafety/talk_form.html",
        {
            "unit": talk.unit,
            "form": form,
            "formset": formset,
            "groups": selectors.grouped(formset.forms),
            "errors": errors,
            "talk": talk,
            "back_url": reverse("safety_talk_detail", args=[talk.pk]),
        },
    )


@talk_view(reads_on_get=True)
def talk_sign(request, talk, decision):
    error = services.sign_refusal(talk, request.user)
    if request.method == "POST" and error:
        refuse_talk(request, talk, "sign")
    elif request.method == "POST":
        try:
            services.talk_sign(talk=talk, by=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request, _("Säkerhetssamtalet är undertecknat och kan inte längre ändras.")
            )
            return redirect("safety_talk_detail", talk_pk=talk.pk)
    return render(
        request,
        "staffsafety/talk_sign.html",
        {"talk": talk, "error": error},
        status=400 if error and request.method == "POST" else 200,
    )


@talk_view(reads_on_get=True)
def talk_share(request, talk, decision):
    refusal = services.share_refusal(talk, request.user)
    form = forms.ShareForm(request.POST if request.method == "POST" and not refusal else None)
    if request.method == "POST" and refusal:
        refuse_talk(request, talk, "share")
    elif request.method == "POST":
        if form.is_valid():
            try:
                services.talk_share(talk=talk, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                sent_to = form.cleaned_data["email"]
                messages.success(
                    request, _("Samtalet är skickat till %(email)s.") % {"email": sent_to}
                )
                return redirect("safety_talk_detail", talk_pk=talk.pk)
        record_talk(request, talk, decision)  # the page shown again holds the talk
    elif talk.is_shared:
        form = forms.ShareForm(
            initial={"name": talk.shared_with_name, "email": talk.shared_with_email}
        )
    return render(
        request,
        "staffsafety/talk_share.html",
        {"talk": talk, "form": form, "refusal": refusal},
        status=400 if refusal and request.method == "POST" else 200,
    )


@talk_view(log_as=log.Action.PRINT)
def talk_print(request, talk, decision):
    return pdf_response(
        talk_pdf(talk, request=request), f"sakerhetssamtal-{talk.held_on:%Y-%m-%d}-{talk.pk}.pdf"
    )


# --- The competence checklist ---------------------------------------------------------------


@competence_view
def competence(request, coordinator, unit, units, decision):
    """One coordinator's checklist: the unit's supervisors keep it, the coordinator reads it."""
    user = request.user
    own = coordinator.pk == user.pk
    may_edit = policy.may_keep_competence(user, coordinator, unit.pk)
    services.unit_copy_template_items(unit=unit)
    rows = selectors.competence_rows(unit.pk, coordinator)
    errors: list = []
    if request.method == "POST":
        if not may_edit:
            messages.error(request, _("Du kan inte ändra din egen kompetenschecklista."))
            return redirect(_url("competence", unit.pk, coordinator.pk))
        formset = forms.competence_formset(request.POST, rows=rows)
        service_errors: list = []
        if formset.is_valid():
            try:
                services.competence_save(
                    unit=unit,
                    coordinator=coordinator,
                    by=user,
                    rows=forms.competence_rows(formset),
                )
            except ValidationError as exc:
                service_errors = exc.messages
            else:
                messages.success(request, _("Kompetenschecklistan är sparad."))
                return redirect(_url("competence", unit.pk, coordinator.pk))
        errors = forms.summary(None, formset, service_errors)
    else:
        formset = forms.competence_formset(rows=rows)
    return render(
        request,
        "staffsafety/competence.html",
        {
            "unit": unit,
            "other_units": [
                (other, _url("competence", other.pk, coordinator.pk))
                for other in units
                if other.pk != unit.pk
            ],
            "coordinator": coordinator,
            "own": own,
            "may_edit": may_edit,
            "rows": rows,
            "pairs": list(zip(formset.forms, rows, strict=True)),
            "formset": formset,
            "met": sum(1 for row in rows if row.is_met),
            "errors": errors,
            "back_url": _url("staff_safety", unit.pk),
        },
    )
