"""Ekonomi: enquiries to Kronofogden with the debts of their answers, and placement costs.

Staff write; partners whose consent covers "economy" read (policy.SECTION_CATEGORIES); closed
cases are read-only. Every page receives its case (and enquiry or placement) from the gate.
"""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from insats.access import policy
from insats.access.gate import Child, case_view
from insats.access.policy import Section
from insats.core.forms import add_service_errors
from insats.core.templatetags.insats import error_summary

from .. import forms_economy as forms
from .. import services_economy as services
from ..models import Debt, DebtEnquiry, Placement

SECTION = Section.ECONOMY


def _may_write(user, case) -> bool:
    return bool(policy.decide_section(user, case, SECTION, write=True))


# Looked up within the case before the case is fetched: a wrong id is a plain 404, unlogged.
ENQUIRY = Child("enquiry", DebtEnquiry, "enquiry_pk", related=("created_by",))
PLACEMENT = Child("placement", Placement, "placement_pk")


# --- The economy page -----------------------------------------------------------------------


@case_view(SECTION)
def economy(request, case, decision):
    enquiries = list(DebtEnquiry.objects.filter(case=case).select_related("created_by"))
    debts = list(
        Debt.objects.filter(enquiry__case=case)
        .select_related("enquiry")
        .order_by("-enquiry__answered_on", "-enquiry__pk", "pk")
    )
    answered = [e for e in enquiries if e.answered_on is not None]
    latest = max(answered, key=lambda e: (e.answered_on, e.pk)) if answered else None
    start, end = forms.PeriodForm.default_period()
    _rows, placement_total = services.placement_costs(
        Placement.objects.filter(case=case), start, end
    )
    return render(
        request,
        "casework/economy_overview.html",
        {
            "case": case,
            "enquiries": enquiries,
            "debts": debts,
            "debt_total": sum((d.amount for d in debts), Decimal(0)),
            "answers": len(answered),
            "latest": latest,
            "latest_total": sum(
                (d.amount for d in debts if latest and d.enquiry_id == latest.pk), Decimal(0)
            ),
            "placement_total": placement_total,
            "year": start.year,
            "may_write": _may_write(request.user, case),
        },
    )


# --- Kronofogden ----------------------------------------------------------------------------


@case_view(SECTION, write=True)
def debt_enquiry_create(request, case, decision):
    if request.method == "POST":
        form = forms.EnquiryForm(request.POST)
        if form.is_valid():
            try:
                enquiry = services.debt_enquiry_create(
                    case=case, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Förfrågan är skapad. Kopiera texten och skicka den till Kronofogden."),
                )
                return redirect("debt_enquiry_detail", pk=case.pk, enquiry_pk=enquiry.pk)
    else:
        form = forms.EnquiryForm(
            initial={"reply_address": services.default_reply_address(case, request.user)}
        )
    return render(request, "casework/economy_enquiry_form.html", {"case": case, "form": form})


def _detail_page(
    request,
    case,
    enquiry: DebtEnquiry,
    *,
    sent_form=None,
    answer_form=None,
    formset=None,
    debt_errors=(),
):
    may_write = _may_write(request.user, case)
    if may_write:
        today = timezone.localdate()
        sent_form = sent_form or forms.SentForm(initial={"sent_on": enquiry.sent_on or today})
        answer_form = answer_form or forms.AnswerForm(
            initial={"answered_on": enquiry.answered_on or today, "no_debts": enquiry.no_debts}
        )
        formset = formset or forms.debt_formset(enquiry=enquiry)
    errors = []
    if sent_form is not None and sent_form.is_bound:
        errors = error_summary(sent_form)["errors"]
    if answer_form is not None and answer_form.is_bound:
        errors = forms.answer_summary(answer_form, formset, list(debt_errors))
    debts = list(enquiry.debts.all())
    return render(
        request,
        "casework/economy_enquiry_detail.html",
        {
            "case": case,
            "enquiry": enquiry,
            "debts": debts,
            "debt_total": sum((d.amount for d in debts), Decimal(0)),
            "may_write": may_write,
            "sent_form": sent_form,
            "answer_form": answer_form,
            "formset": formset,
            "debt_errors": list(debt_errors),
            "errors": errors,
        },
    )


@case_view(SECTION, child=ENQUIRY)
def debt_enquiry_detail(request, case, decision, enquiry):
    return _detail_page(request, case, enquiry)


@require_POST  # outermost: a GET is refused before anything is fetched or logged
@case_view(SECTION, write=True, child=ENQUIRY)
def debt_enquiry_sent(request, case, decision, enquiry):
    form = forms.SentForm(request.POST)
    if form.is_valid():
        try:
            services.debt_enquiry_mark_sent(
                case=case, enquiry=enquiry, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Förfrågan är markerad som skickad."))
            return redirect("debt_enquiry_detail", pk=case.pk, enquiry_pk=enquiry.pk)
    return _detail_page(request, case, enquiry, sent_form=form)


@require_POST  # outermost: a GET is refused before anything is fetched or logged
@case_view(SECTION, write=True, child=ENQUIRY)
def debt_enquiry_answer(request, case, decision, enquiry):
    form = forms.AnswerForm(request.POST)
    formset = forms.debt_formset(request.POST)
    debt_errors: list[str] = []
    form_valid = form.is_valid()
    if formset.is_valid() and form_valid:
        try:
            services.debt_enquiry_answer(
                case=case,
                enquiry=enquiry,
                by=request.user,
                debts=forms.debt_rows(formset),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            rest, debt_errors = forms.split_service_errors(exc)
            if rest is not None:
                add_service_errors(form, rest)
        else:
            messages.success(request, _("Svaret från Kronofogden är registrerat."))
            return redirect("economy", pk=case.pk)
    return _detail_page(
        request,
        case,
        enquiry,
        answer_form=form,
        formset=formset,
        debt_errors=debt_errors,
    )


# --- Placements -----------------------------------------------------------------------------


@case_view(SECTION)
def placements(request, case, decision):
    period_form = forms.PeriodForm(request.GET or None)
    start, end = period_form.period()
    rows, total = services.placement_costs(
        Placement.objects.filter(case=case).order_by("-starts_on", "-pk"), start, end
    )
    return render(
        request,
        "casework/economy_placements.html",
        {
            "case": case,
            "period_form": period_form,
            "start": start,
            "end": end,
            "rows": rows,
            "total": total,
            "days": sum(row.days for row in rows),
            "may_write": _may_write(request.user, case),
        },
    )


def _placement_form_page(request, case, placement: Placement | None):
    if request.method == "POST":
        form = forms.PlacementForm(request.POST)
        if form.is_valid():
            try:
                services.placement_save(
                    case=case, by=request.user, placement=placement, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Placeringen är sparad."))
                return redirect("placements", pk=case.pk)
    elif placement is not None:
        form = forms.PlacementForm(initial=forms.placement_initial(placement))
    else:
        form = forms.PlacementForm()
    return render(
        request,
        "casework/economy_placement_form.html",
        {"case": case, "form": form, "placement": placement},
    )


@case_view(SECTION, write=True)
def placement_create(request, case, decision):
    return _placement_form_page(request, case, None)


@case_view(SECTION, write=True, child=PLACEMENT)
def placement_edit(request, case, decision, placement):
    return _placement_form_page(request, case, placement)


@case_view(SECTION, write=True, child=PLACEMENT)
def placement_delete(request, case, decision, placement):
    if request.method == "POST":
        services.placement_delete(case=case, by=request.user, placement=placement)
        messages.success(request, _("Placeringen är borttagen."))
        return redirect("placements", pk=case.pk)
    return render(
        request,
        "casework/economy_placement_delete.html",
        {"case": case, "placement": placement},
    )


case_urlpatterns = [
    path("<int:pk>/ekonomi/", economy, name="economy"),
    path("<int:pk>/ekonomi/forfragan/ny/", debt_enquiry_create, name="debt_enquiry_create"),
    path(
        "<int:pk>/ekonomi/forfragan/<int:enquiry_pk>/",
        debt_enquiry_detail,
        name="debt_enquiry_detail",
    ),
    path(
        "<int:pk>/ekonomi/forfragan/<int:enquiry_pk>/skickad/",
        debt_enquiry_sent,
        name="debt_enquiry_sent",
    ),
    path(
        "<int:pk>/ekonomi/forfragan/<int:enquiry_pk>/svar/",
        debt_enquiry_answer,
        name="debt_enquiry_answer",
    ),
    path("<int:pk>/placeringar/", placements, name="placements"),
    path("<int:pk>/placeringar/ny/", placement_create, name="placement_create"),
    path(
        "<int:pk>/placeringar/<int:placement_pk>/andra/",
        placement_edit,
        name="placement_edit",
    ),
    path(
        "<int:pk>/placeringar/<int:placement_pk>/ta-bort/",
        placement_delete,
        name="placement_delete",
    ),
]
urlpatterns = []
