"""The gate for one access-log entry: a supervisor reaches the entries of their own units."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404

from .. import policy
from ..models import AccessLogEntry
from .core import gated, int_or_404


def review_view(view) -> Callable:
    """A page about one log entry (`entry_pk`): the view is called with `entry=`.

    Reading the log is not itself logged (that would log the log), so refusals are plain 404s.
    """

    @wraps(view)
    def call(request, *args, entry_pk, **kwargs):
        entry = AccessLogEntry.objects.filter(
            pk=int_or_404(entry_pk), unit_id__in=policy.review_units(request.user)
        ).first()
        if entry is None:
            raise Http404
        return view(request, *args, entry=entry, **kwargs)

    return gated("log_entry", call)
