"""Haverikommission: the failure reviews of a case, opened when a plan breaks down or the
person reoffends. For the unit's social-services staff only (Section.FAILURE_REVIEW); a closed
case is read-only.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Min, Q
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.gate import Child, case_view
from insats.access.policy import Section
from insats.core.forms import add_service_errors
from insats.documents.pdf import pdf_response, render_pdf

from .. import forms_reviews as forms
from .. import services_reviews as services
from ..models import FailureReview, FailureReviewDecision

SECTION = Section.FAILURE_REVIEW


# Looked up within the case before the case is fetched: a wrong id is a plain 404, unlogged.
REVIEW = Child("review", FailureReview, "review_pk", related=("created_by",))


def _may_write(user, case) -> bool:
    return bool(policy.decide_section(user, case, SECTION, write=True))


def _decisions(review: FailureReview) -> list[FailureReviewDecision]:
    """The review's decisions, each marked when it is open and past its due date."""
    today = timezone.localdate()
    decisions = list(review.decisions.all())
    for decision in decisions:
        decision.is_overdue = decision.done_on is None and decision.due_on < today
    return decisions


@case_view(SECTION)
def failure_reviews(request, case, decision):
    today = timezone.localdate()
    open_decision = Q(decisions__done_on__isnull=True)
    reviews = (
        FailureReview.objects.filter(case=case)
        .select_related("created_by")
        .annotate(
            decision_count=Count("decisions"),
            open_decisions=Count("decisions", filter=open_decision),
            overdue_decisions=Count(
                "decisions", filter=open_decision & Q(decisions__due_on__lt=today)
            ),
            next_due=Min("decisions__due_on", filter=open_decision),
        )
        .order_by("-opened_on", "-pk")
    )
    return render(
        request,
        "casework/review_list.html",
        {"case": case, "reviews": reviews, "may_write": _may_write(request.user, case)},
    )


@case_view(SECTION, write=True)
def failure_review_create(request, case, decision):
    return _form_page(request, case, review=None)


@case_view(SECTION, child=REVIEW)
def failure_review_detail(request, case, decision, review):
    return render(
        request,
        "casework/review_detail.html",
        {
            "case": case,
            "review": review,
            "decisions": _decisions(review),
            "may_write": _may_write(request.user, case),
        },
    )


@case_view(SECTION, write=True, child=REVIEW)
def failure_review_edit(request, case, decision, review):
    return _form_page(request, case, review=review)


def _form_page(request, case, *, review: FailureReview | None):
    decision_errors: list[str] = []
    if request.method == "POST":
        form = forms.FailureReviewForm(request.POST)
        formset = forms.decision_formset(request.POST)
        form_valid = form.is_valid()
        if formset.is_valid() and form_valid:
            data = dict(form.cleaned_data)
            try:
                saved = services.failure_review_save(
                    case=case,
                    by=request.user,
                    review=review,
                    decisions=formset.rows(),
                    **data,
                )
            except ValidationError as exc:
                rest, decision_errors = forms.split_service_errors(exc)
                if rest is not None:
                    add_service_errors(form, rest)
                if review is not None and _is_conflict(exc):
                    # A second save, after the user has compared, is based on the newest one.
                    form.data = form.data.copy()
                    form.data["based_on"] = FailureReview.objects.get(
                        pk=review.pk
                    ).updated_at.isoformat()
            else:
                messages.success(request, _("Haverikommissionen är sparad."))
                return redirect("failure_review_detail", pk=case.pk, review_pk=saved.pk)
    elif review is not None:
        initial, decisions = forms.initial_from(review)
        form = forms.FailureReviewForm(initial=initial)
        formset = forms.decision_formset(initial=decisions)
    else:
        form = forms.FailureReviewForm(initial={"opened_on": timezone.localdate()})
        formset = forms.decision_formset()
    return render(
        request,
        "casework/review_form.html",
        {
            "case": case,
            "review": review,
            "form": form,
            "formset": formset,
            "decision_errors": decision_errors,
            "errors": forms.summary(form, formset, decision_errors),
        },
    )


def _is_conflict(exc: ValidationError) -> bool:
    errors = exc.error_list if not hasattr(exc, "error_dict") else []
    return any(error.code == services.CONFLICT for error in errors)


@case_view(SECTION, log_as=log.Action.PRINT, child=REVIEW)
def failure_review_pdf(request, case, decision, review):
    context = {
        "case": case,
        "review": review,
        "decisions": _decisions(review),
        "today": timezone.localdate(),
    }
    pdf = render_pdf("documents/failure_review.html", context, request=request)
    return pdf_response(pdf, f"haverikommission-{case.number}-{review.pk}.pdf")


case_urlpatterns = [
    path("<int:pk>/haverikommission/", failure_reviews, name="failure_reviews"),
    path("<int:pk>/haverikommission/ny/", failure_review_create, name="failure_review_create"),
    path(
        "<int:pk>/haverikommission/<int:review_pk>/",
        failure_review_detail,
        name="failure_review_detail",
    ),
    path(
        "<int:pk>/haverikommission/<int:review_pk>/andra/",
        failure_review_edit,
        name="failure_review_edit",
    ),
    path(
        "<int:pk>/haverikommission/<int:review_pk>/haverikommission.pdf",
        failure_review_pdf,
        name="failure_review_pdf",
    ),
]
urlpatterns = []
