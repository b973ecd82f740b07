"""Log review for supervisors: browse and filter the access log, flag entries, record reviews."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from insats.organisations.models import Unit

from . import log
from .decorators import SIGNED_IN, access_policy
from .forms import FlagForm, LogFilterForm, LogReviewForm
from .gate.log import review_view
from .gate.units import review_units_or_404
from .models import AccessLogEntry, AccessLogFlag, LogReview

GRANTS_SHOWN = 20


def _reviewable_entries(user):
    """Entries about the supervisor's units (list pages are logged per unit too)."""
    units = {unit.pk for unit in review_units_or_404(user)}
    return AccessLogEntry.objects.filter(unit_id__in=units), units


@access_policy(SIGNED_IN)
def log_list(request):
    entries, units = _reviewable_entries(request.user)
    entries_all = entries
    form = LogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    if filters.get("case"):
        entries = entries.filter(case_id=filters["case"])
    if filters.get("username"):
        entries = entries.filter(username__iexact=filters["username"])
    if filters.get("action"):
        entries = entries.filter(action=filters["action"])
    if filters.get("start"):
        entries = entries.filter(at__date__gte=filters["start"])
    if filters.get("end"):
        entries = entries.filter(at__date__lte=filters["end"])
    if filters.get("flagged"):
        entries = entries.filter(flags__isnull=False).distinct()
    # Log the review itself first, so the page and its count include this very entry.
    for unit_id in sorted(units):
        log.record(
            user=request.user,
            action=log.Action.SEARCH,
            object_type="access_log",
            unit_id=unit_id,
            detail=request.GET.urlencode()[:500],
        )
    page = Paginator(entries.prefetch_related("flags").order_by("-pk"), 50).get_page(
        request.GET.get("sida")
    )
    query = request.GET.copy()
    query.pop("sida", None)
    return render(
        request,
        "access/log_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "flag_form": FlagForm(),
            "reviews": LogReview.objects.filter(unit_id__in=units).select_related(
                "reviewer", "unit"
            )[:20],
            # Roles given, changed or ended in these units: always in view, whatever the filter.
            "grants": entries_all.filter(action=log.Action.GRANT).order_by("-pk")[:GRANTS_SHOWN],
        },
    )


@review_view
@require_POST
def log_flag(request, entry):
    form = FlagForm(request.POST)
    if form.is_valid():
        AccessLogFlag.objects.create(
            entry=entry, flagged_by=request.user, note=form.cleaned_data["note"]
        )
        messages.success(request, _("Posten är markerad för uppföljning."))
    else:
        messages.error(request, _("Skriv varför posten ska följas upp."))
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/logg/") else "log_list")


@access_policy(SIGNED_IN)
def review_create(request):
    _entries, units = _reviewable_entries(request.user)
    form = LogReviewForm(request.POST or None, units=Unit.objects.filter(pk__in=units))
    if request.method == "POST" and form.is_valid():
        review = form.save(commit=False)
        review.reviewer = request.user
        review.save()
        messages.success(request, _("Loggranskningen är dokumenterad."))
        return redirect("log_list")
    return render(request, "access/review_form.html", {"form": form})
