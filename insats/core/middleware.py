"""Cross-cutting request handling: caching of personal data, the interface language, and the
request id that ties a user's error page to the log lines and metrics of that request."""

import logging
import re
import time
import uuid

from django.conf import settings
from django.db import connection
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from . import metrics
from .logging import RequestContext, begin, current, end

request_logger = logging.getLogger("insats.request")


class RequestIdMiddleware:
    """First in the chain: every log line of a request names it, and so does its response.

    A proxy's `X-Request-ID` is kept when it is safe to echo into logs and headers (at most 64
    letters, digits and hyphens); anything else is replaced by a fresh one. The request's
    latency and status class are counted for `/metriker/`, and so is any access-log append.
    """

    SAFE_ID = re.compile(r"[A-Za-z0-9-]{1,64}")

    def __init__(self, get_response):
        self.get_response = get_response
        from insats.access.models import AccessLogHead

        self.head_table = AccessLogHead._meta.db_table

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if self.SAFE_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = begin(RequestContext(request_id, request.method, request.path))
        started = time.perf_counter()
        try:
            with connection.execute_wrapper(metrics.AccessLogAppendTimer(self.head_table)):
                response = self.get_response(request)
            seconds = time.perf_counter() - started
            metrics.observe_request(request.method, response.status_code, seconds)
            request_logger.info(
                "%s %s",
                request.method,
                response.status_code,
                extra={"status_code": response.status_code, "duration_ms": round(seconds * 1000)},
            )
        finally:
            end(token)
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Error lines name the signed-in user (by id only); the user is known from here on."""
        user = getattr(request, "user", None)
        context = current()
        if context is not None and user is not None and user.is_authenticated:
            context.user_id = user.pk


class NoStoreMiddleware:
    """Pages with personal data must not linger in browser or proxy caches."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response


class SwedishFirstLocaleMiddleware(LocaleMiddleware):
    """Swedish unless the user chose English with the language switch.

    The browser's Accept-Language is ignored on purpose: staff in a Swedish municipality often
    have English-language browsers, and the interface must be Swedish first.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen not in dict(settings.LANGUAGES):
            chosen = settings.LANGUAGE_CODE
        translation.activate(chosen)
        request.LANGUAGE_CODE = translation.get_language()


class ContentSecurityPolicyMiddleware:
    """Only our own scripts, styles and forms: no inline script can run, nothing from a CDN."""

    POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.POLICY)
        return response
