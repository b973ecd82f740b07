"""Samverkan: the unit's collaboration structure (SPEC §2) — the steering, operational and
preparation groups with their members, the contact list for collaboration (appendix 1, also as
a PDF), the local agreements and situation picture, and the yearly district checklist.

For the unit's social-services staff only (policy.units_visible_to); everyone else gets a 404.
A user in several units picks one with ?enhet=<pk>. Pages about one object (a group, a contact,
an agreement) receive it from the gate (insats/access/gate/meetings.py), which takes the unit
from the object, decides (policy.decide_unit_staff) and logs the read or the refusal. List
pages are logged here; every change is logged by services_groups.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from insats.access import log
from insats.access.decorators import SIGNED_IN, access_policy
from insats.access.gate.meetings import agreement_view, contact_view, group_view
from insats.access.gate.units import staff_units_or_404
from insats.core.forms import add_service_errors
from insats.core.units import UNIT_PARAM, chosen_unit
from insats.documents.pdf import pdf_response, render_pdf
from insats.organisations.models import Unit
from insats.staffsafety.selectors import district_evidence

from .. import services_groups as services
from ..forms_groups import (
    AgreementForm,
    ChecklistForm,
    ContactForm,
    GroupForm,
    MemberExternalForm,
    MemberUserForm,
    checklist_initial,
)
from ..jobs_groups import REMIND_DAYS_BEFORE
from ..models import Agreement, Contact, DistrictChecklist, Group, GroupMember

YEAR_PARAM = "ar"


# --- The unit -------------------------------------------------------------------------------


def _url(name: str, unit_id: int, *args, **query) -> str:
    """A page of the unit: the unit travels along as ?enhet=, so the right one opens."""
    return f"{reverse(name, args=args)}?{urlencode({UNIT_PARAM: unit_id, **query})}"


def _unit_context(units: list[Unit], unit: Unit, name: str) -> dict:
    """What the unit switcher needs: the other units and where each leads."""
    return {
        "unit": unit,
        "other_units": [(other, _url(name, other.pk)) for other in units if other.pk != unit.pk],
    }


def _record_listing(request, object_type: str, unit: Unit, detail: str = "") -> None:
    log.record(
        user=request.user,
        action=log.Action.SEARCH,
        object_type=object_type,
        unit_id=unit.pk,
        detail=detail,
    )


def _current_members():
    return Prefetch(
        "members",
        queryset=GroupMember.objects.filter(removed_at__isnull=True).select_related(
            "user", "organisation"
        ),
        to_attr="current_members",
    )


# --- The overview ---------------------------------------------------------------------------


@access_policy(SIGNED_IN)
def collaboration(request):
    units = staff_units_or_404(request.user)
    unit = chosen_unit(request, units)
    today = timezone.localdate()
    groups = list(
        Group.objects.filter(unit=unit).prefetch_related(_current_members()).order_by("name", "pk")
    )
    levels = [
        {"kind": kind, "label": label, "groups": [g for g in groups if g.kind == kind]}
        for kind, label in Group.Kind.choices
    ]
    cutoff = services.review_cutoff(unit, today)
    contacts = Contact.objects.filter(unit=unit).aggregate(
        total=Count("pk"), due=Count("pk", filter=Q(last_reviewed_on__lt=cutoff))
    )
    agreements = _agreement_rows(Agreement.objects.filter(unit=unit), today)
    checklist = DistrictChecklist.objects.filter(unit=unit, year=today.year).first()
    _record_listing(request, "collaboration", unit, f"groups={','.join(str(g.pk) for g in groups)}")
    return render(
        request,
        "meetings/groups_overview.html",
        {
            **_unit_context(units, unit, "collaboration"),
            "levels": levels,
            "contacts": contacts,
            "review_months": unit.contact_review_months,
            "agreements": agreements,
            "checklist": checklist,
            "checklist_yes": services.yes_count(checklist) if checklist else 0,
            "question_count": len(DistrictChecklist.QUESTIONS),
            "year": today.year,
        },
    )


# --- Groups ---------------------------------------------------------------------------------


@access_policy(SIGNED_IN)
def group_create(request):
    units = staff_units_or_404(request.user)
    unit = chosen_unit(request, units)
    return _group_form(request, units, unit, group=None)


@group_view()
def group_edit(request, group, decision):
    return _group_form(request, [group.unit], group.unit, group=group)


def _group_form(request, units, unit, *, group: Group | None):
    if request.method == "POST":
        form = GroupForm(request.POST)
        if form.is_valid():
            try:
                saved = services.group_save(
                    unit=unit, by=request.user, group=group, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Gruppen är sparad."))
                return redirect(_url("group_detail", unit.pk, saved.pk))
    elif group is not None:
        form = GroupForm(
            initial={
                "kind": group.kind,
                "name": group.name,
                "rhythm_days": group.rhythm_days,
                "active": group.active,
            }
        )
    else:
        form = GroupForm(initial={"kind": request.GET.get("niva", "")})
    context = _unit_context(units, unit, "group_create") if group is None else {}
    return render(
        request,
        "meetings/groups_form.html",
        {"unit": unit, **context, "form": form, "group": group},
    )


@group_view()
def group_detail(request, group, decision):
    members = list(
        group.members.filter(removed_at__isnull=True).select_related("user", "organisation")
    )
    former = list(
        group.members.filter(removed_at__isnull=False)
        .select_related("user", "organisation")
        .order_by("-removed_at", "-pk")
    )
    last_day = services.last_meeting_day(group)
    return render(
        request,
        "meetings/groups_detail.html",
        {
            "unit": group.unit,
            "group": group,
            "members": members,
            "former": former,
            "last_meeting_day": last_day,
            "next_meeting_day": services.next_meeting_date(group, last_day),
        },
    )


@group_view()
def group_member_add(request, group, decision):
    unit = group.unit
    adding_user = "add_user" in request.POST
    adding_external = "add_external" in request.POST
    user_form = MemberUserForm(
        request.POST if adding_user else None,
        memberships=services.member_candidates(unit),
        prefix="anvandare",
    )
    external_form = MemberExternalForm(
        request.POST if adding_external else None, unit=unit, prefix="extern"
    )
    if request.method == "POST" and (adding_user or adding_external):
        form = user_form if adding_user else external_form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if adding_user:
                    membership = data["membership"]
                    services.member_add(
                        group=group,
                        by=request.user,
                        user=membership.user,
                        organisation=membership.organisation,
                        function=data["function"] or membership.function,
                    )
                else:
                    services.member_add(group=group, by=request.user, **data)
            except ValidationError as exc:
                if adding_user and hasattr(exc, "error_dict"):
                    # The service names the user and organisation; the form has one choice.
                    for key in ("user", "organisation"):
                        if key in exc.error_dict:
                            exc.error_dict["membership"] = exc.error_dict.pop(key)
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Medlemmen är tillagd i gruppen."))
                return redirect(_url("group_detail", unit.pk, group.pk))
    return render(
        request,
        "meetings/groups_member_add.html",
        {"unit": unit, "group": group, "user_form": user_form, "external_form": external_form},
    )


@group_view()
def group_member_remove(request, group, decision, member_pk: int):
    member = (
        group.members.filter(pk=member_pk, removed_at__isnull=True)
        .select_related("user", "organisation")
        .first()
    )
    if member is None:
        raise Http404
    member.group = group
    if request.method == "POST":
        services.member_remove(member=member, by=request.user)
        messages.success(request, _("Medlemmen är borttagen ur gruppen."))
        return redirect(_url("group_detail", group.unit_id, group.pk))
    return render(
        request,
        "meetings/groups_member_remove.html",
        {"unit": group.unit, "group": group, "member": member},
    )


# --- The contact list -----------------------------------------------------------------------


def _contacts_of(unit: Unit):
    return Contact.objects.filter(unit=unit).select_related("organisation")


@access_policy(SIGNED_IN)
def contacts(request):
    units = staff_units_or_404(request.user)
    unit = chosen_unit(request, units)
    today = timezone.localdate()
    rows = services.contact_rows(_contacts_of(unit), services.review_cutoff(unit, today))
    _record_listing(
        request, "contact_list", unit, f"contacts={','.join(str(r.contact.pk) for r in rows)}"
    )
    return render(
        request,
        "meetings/contacts_list.html",
        {
            **_unit_context(units, unit, "contacts"),
            "rows": rows,
            "due_count": sum(1 for row in rows if row.due),
            "review_months": unit.contact_review_months,
        },
    )


@access_policy(SIGNED_IN)
def contacts_pdf(request):
    """The contact list as appendix 1, for printing."""
    units = staff_units_or_404(request.user)
    unit = chosen_unit(request, units)
    today = timezone.localdate()
    rows = services.contact_rows(_contacts_of(unit), services.review_cutoff(unit, today))
    log.record(
        user=request.user,
        action=log.Action.PRINT,
        object_type="contact_list",
        unit_id=unit.pk,
        detail=f"contacts={','.join(str(r.contact.pk) for r in rows)}",
    )
    pdf = render_pdf(
        "meetings/contacts_pdf.html",
        {
            "unit": unit,
            "rows": rows,
            "today": today,
            "due_count": sum(1 for row in rows if row.due),
        },
        request=request,
    )
    return pdf_response(pdf, f"kontaktlista-{today:%Y-%m-%d}.pdf")


@access_policy(SIGNED_IN)
def contact_create(request):
    units = staff_units_or_404(request.user)
    unit = chosen_unit(request, units)
    return _contact_form(request, units, unit, contact=None)


@contact_view()
def contact_edit(request, contact, decision):
    return _contact_form(request, [contact.unit], contact.unit, contact=contact)


def _contact_form(request, units, unit, *, contact: Contact | None):
    if request.method == "POST":
        form = ContactForm(request.POST, unit=unit)
        if form.is_valid():
            try:
                services.contact_save(
                    unit=unit, by=request.user, contact=contact, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Kontakten är sparad."))
                return redirect(_url("contacts", unit.pk))
    elif contact is not None:
        form = ContactForm(
            initial={
                "organisation": contact.organisation_id,
                "name": contact.name,
                "function": contact.function,
                "phone": contact.phone,
                "email": contact.email,
                "last_reviewed_on": contact.last_reviewed_on,
            },
            unit=unit,
        )
    else:
        form = ContactForm(unit=unit)
    context = _unit_context(units, unit, "contact_create") if contact is None else {}
    return render(
        request,
        "meetings/contacts_form.html",
        {"unit": unit, **context, "form": form, "contact": contact},
    )


@require_POST
@contact_view()
def contact_reviewed(request, contact, decision):
    services.contact_mark_reviewed(contact=contact, by=request.user, today=timezone.localdate())
    messages.success(
        request, _("%(name)s är markerad som kontrollerad i dag.") % {"name": contact.name}
    )
    return redirect(_url("contacts", contact.unit_id))


@contact_view()
def contact_delete(request, contact, decision):
    if request.method == "POST":
        unit_id = contact.unit_id
        services.contact_delete(contact=contact, by=request.user)
        messages.success(request, _("Kontakten är borttagen ur kontaktlistan."))
        return redirect(_url("contacts", unit_id))
    return render(
        request, "meetings/contacts_delete.html", {"unit": contact.unit, "contact": contact}
    )


# --- Agreements and the situation picture ---------------------------------------------------


def _agreement_rows(agreements, today) -> list[dict]:
    soon = today + timedelta(days=REMIND_DAYS_BEFORE)
    return [
        {
            "agreement": agreement,
            "overdue": services.is_overdue(agreement, today),
            "due_soon": today <= agreement.review_on <= soon,
        }
        for agreement in agreements
    ]


@access_policy(SIGNED_IN)
def agreements(request):
    units = staff_units_or_404(request.user)
    unit = chosen_unit(request, units)
    rows = _agreement_rows(Agreement.objects.filter(unit=unit), timezone.localdate())
    _record_listing(
        request,
        "agreement_list",
        unit,
        f"agreements={','.join(str(r['agreement'].pk) for r in rows)}",
    )
    kinds = [
        {"label": label, "rows": [r for r in rows if r["agreement"].kind == kind]}
        for kind, label in Agreement.Kind.choices
    ]
    return render(
        request,
        "meetings/agreements_list.html",
        {
            **_unit_context(units, unit, "agreements"),
            "kinds": kinds,
            "remind_days": REMIND_DAYS_BEFORE,
        },
    )


@access_policy(SIGNED_IN)
def agreement_create(request):
    units = staff_units_or_404(request.user)
    unit = chosen_unit(request, units)
    return _agreement_form(request, units, unit, agreement=None)


@agreement_view()
def agreement_edit(request, agreement, decision):
    return _agreement_form(request, [agreement.unit], agreement.unit, agreement=agreement)


def _agreement_form(request, units, unit, *, agreement: Agreement | None):
    if request.method == "POST":
        form = AgreementForm(request.POST)
        if form.is_valid():
            try:
                services.agreement_save(
                    unit=unit, by=request.user, agreement=agreement, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Dokumentet är sparat."))
                return redirect(_url("agreements", unit.pk))
    elif agreement is not None:
        form = AgreementForm(
            initial={
                "kind": agreement.kind,
                "title": agreement.title,
                "parties": agreement.parties,
                "summary": agreement.summary,
                "dated_on": agreement.dated_on,
                "review_on": agreement.review_on,
            }
        )
    else:
        form = AgreementForm(initial={"kind": request.GET.get("typ", "")})
    context = _unit_context(units, unit, "agreement_create") if agreement is None else {}
    return render(
        request,
        "meetings/agreements_form.html",
        {"unit": unit, **context, "form": form, "agreement": agreement},
    )


# --- The district checklist -----------------------------------------------------------------


def _year_or_404(request) -> int:
    current = timezone.localdate().year
    raw = request.GET.get(YEAR_PARAM, "")
    if not raw:
        return current
    try:
        year = int(raw)
    except ValueError:
        raise Http404 from None
    if not services.FIRST_YEAR <= year <= current:
        raise Http404
    return year


@access_policy(SIGNED_IN)
def district_checklist(request):
    units = staff_units_or_404(request.user)
    unit = chosen_unit(request, units)
    year = _year_or_404(request)
    checklist = (
        DistrictChecklist.objects.filter(unit=unit, year=year).select_related("answered_by").first()
    )
    if request.method == "POST":
        form = ChecklistForm(request.POST)
        if form.is_valid():
            try:
                services.checklist_save(
                    unit=unit, by=request.user, year=year, answers=form.answers()
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Checklistan för %(year)s är sparad.") % {"year": year})
                return redirect(_url("district_checklist", unit.pk, **{YEAR_PARAM: year}))
    else:
        form = ChecklistForm(initial=checklist_initial(checklist))
        log.record(
            user=request.user,
            action=log.Action.VIEW,
            object_type="district_checklist",
            unit_id=unit.pk,
            object_id=checklist.pk if checklist else "",
            detail=f"year={year}",
        )
    history = [
        {
            "checklist": row,
            "yes": services.yes_count(row),
            "url": _url("district_checklist", unit.pk, **{YEAR_PARAM: row.year}),
        }
        for row in DistrictChecklist.objects.filter(unit=unit).order_by("-year")
    ]
    current_year = timezone.localdate().year
    return render(
        request,
        "meetings/checklist_form.html",
        {
            **_unit_context(units, unit, "district_checklist"),
            "year": year,
            "current_year": current_year,
            "current_url": _url("district_checklist", unit.pk),
            "checklist": checklist,
            "form": form,
            "history": history,
            "question_count": len(DistrictChecklist.QUESTIONS),
            "evidence": district_evidence(unit, year),
        },
    )


urlpatterns = [
    path("samverkan/", collaboration, name="collaboration"),
    path("samverkan/grupper/ny/", group_create, name="group_create"),
    path("samverkan/grupper/<int:group_pk>/", group_detail, name="group_detail"),
    path("samverkan/grupper/<int:group_pk>/andra/", group_edit, name="group_edit"),
    path(
        "samverkan/grupper/<int:group_pk>/medlemmar/ny/",
        group_member_add,
        name="group_member_add",
    ),
    path(
        "samverkan/grupper/<int:group_pk>/medlemmar/<int:member_pk>/ta-bort/",
        group_member_remove,
        name="group_member_remove",
    ),
    path("samverkan/kontakter/", contacts, name="contacts"),
    path("samverkan/kontakter/utskrift/", contacts_pdf, name="contacts_pdf"),
    path("samverkan/kontakter/ny/", contact_create, name="contact_create"),
    path("samverkan/kontakter/<int:contact_pk>/andra/", contact_edit, name="contact_edit"),
    path(
        "samverkan/kontakter/<int:contact_pk>/kontrollerad/",
        contact_reviewed,
        name="contact_reviewed",
    ),
    path("samverkan/kontakter/<int:contact_pk>/ta-bort/", contact_delete, name="contact_delete"),
    path("samverkan/overenskommelser/", agreements, name="agreements"),
    path("samverkan/overenskommelser/ny/", agreement_create, name="agreement_create"),
    path(
        "samverkan/overenskommelser/<int:agreement_pk>/andra/",
        agreement_edit,
        name="agreement_edit",
    ),
    path("samverkan/checklista/", district_checklist, name="district_checklist"),
]
