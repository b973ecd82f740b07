"""The page a user sees when Insats fails: it names the request so support can find the log.

It renders without the database, the session or context processors (any of them may be what
failed) and shows nothing about the user or the page they were on.
"""

from django.http import HttpResponseServerError
from django.template import loader
from django.utils.html import escape

from .logging import current_request_id

FALLBACK = (
    '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Tekniskt fel</title>'
    "</head><body><h1>Tekniskt fel</h1><p>Ange felkod {} när du kontaktar support.</p>"
    "</body></html>"
)


def server_error(request):
    request_id = getattr(request, "request_id", "") or current_request_id()
    try:
        body = loader.get_template("500.html").render({"request_id": request_id})
    except Exception:  # the error page itself must never fail
        body = FALLBACK.format(escape(request_id))
    return HttpResponseServerError(body)
