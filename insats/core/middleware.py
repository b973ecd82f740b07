"""Cross-cutting request handling: caching of personal data and the interface language."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


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
