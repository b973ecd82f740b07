"""Every page declares who may see it (DESIGN: "A test walks every URL pattern ...").

A view without `access_policy` (set by `insats.access.decorators.access_policy`) fails
`test_every_view_declares_an_access_policy`; `test_walker_catches_an_undeclared_view` proves the
walker would notice one. The admin has its own staff checks and is left out.
"""

import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse
from django.urls.resolvers import RoutePattern

from insats.access.decorators import OBJECT, PUBLIC, SIGNED_IN, access_policy

KNOWN_POLICIES = {PUBLIC, SIGNED_IN, OBJECT}
# Pages that must work without logging in; anything else public is a decision to review here.
# The calendar feed is fetched by calendar programs: its secret, revocable token names the user.
# The metrics are read by Prometheus: a bearer token (METRICS_TOKEN) protects them, 404 without.
EXPECTED_PUBLIC = {"login", "set_language", "calendar_feed", "health", "readiness", "metrics"}


@dataclass(frozen=True)
class Route:
    route: str  # "arenden/<int:pk>/", the includes' prefixes joined
    name: str | None
    callback: object

    @property
    def policy(self) -> str | None:
        return getattr(self.callback, "access_policy", None)

    @property
    def callback_gated(self) -> bool:
        """Not public, and either no object in the URL or handed over by the gate."""
        needs_gate = self.policy == OBJECT or "<" in self.route
        return not needs_gate or bool(getattr(self.callback, "gate", None))

    def example_url(self) -> str:
        """The route with dummy arguments: 1 for numbers, a valid state for slugs."""

        def dummy(match: re.Match) -> str:
            converter = match["converter"] or "str"
            return {"int": "1", "slug": "investigation", "path": "x/y", "uuid": "0" * 32}.get(
                converter, "x"
            )

        return "/" + re.sub(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>", dummy, self.route)


def is_admin(resolver: URLResolver) -> bool:
    return resolver.app_name == "admin" or resolver.namespace == "admin"


def walk(patterns, prefix: str = ""):
    """Every URLPattern under `patterns`, recursively, except inside the admin include."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if is_admin(entry):
                continue
            yield from walk(entry.url_patterns, prefix + _route_of(entry))
        elif isinstance(entry, URLPattern):
            yield Route(prefix + _route_of(entry), entry.name, entry.callback)
        else:  # pragma: no cover - Django has only these two
            raise TypeError(f"unknown URL entry {entry!r}")


def _route_of(entry) -> str:
    if not isinstance(entry.pattern, RoutePattern):
        pytest.fail(f"{entry!r} uses re_path(); teach tests/test_url_policies.py to build its URL")
    return str(entry.pattern)


def undeclared(resolver) -> list[str]:
    return sorted(route.route for route in walk(resolver.url_patterns) if route.policy is None)


def project_routes() -> list[Route]:
    return list(walk(get_resolver().url_patterns))


# --- A urlconf of our own, to prove the walker works ----------------------------------------


def _declared(request):
    return HttpResponse("ok")


def _undeclared(request, pk):
    return HttpResponse("secret")


urlpatterns = [
    path("ok/", access_policy(SIGNED_IN)(_declared), name="fake_ok"),
    path(
        "nested/",
        include([path("<int:pk>/undeclared/", _undeclared, name="fake_undeclared")]),
    ),
    path("admin-like/", include(([path("x/", _undeclared)], "admin"), namespace="admin")),
]


# --- Tests ----------------------------------------------------------------------------------


def test_walker_finds_the_project_pages():
    names = {route.name for route in project_routes()}
    assert {"start", "login", "case_list", "case_detail", "person_detail"} <= names
    assert not any(route.route.startswith("admin/") for route in project_routes())


def test_every_view_declares_an_access_policy():
    missing = undeclared(get_resolver())
    assert not missing, f"views without @access_policy: {missing}"


def ungated(resolver) -> list[str]:
    """Object pages (and pages that name an object in their URL) not wrapped by the gate."""
    return sorted(
        route.route
        for route in walk(resolver.url_patterns)
        if route.policy != PUBLIC and not route.callback_gated
    )


def test_every_object_page_receives_its_object_from_the_gate():
    """A page about one object gets it from insats/access/gate, which fetches, decides and logs;
    a view that fetched its case itself would be listed here."""
    missing = ungated(get_resolver())
    assert not missing, f"object pages not wrapped by insats.access.gate: {missing}"


def test_the_gate_walker_catches_a_view_that_fetches_its_own_object():
    def fetches_itself(request, pk):
        return HttpResponse("case")

    fetches_itself.access_policy = OBJECT  # declared, but not through the gate
    patterns = [
        path("a/<int:pk>/", fetches_itself),
        path("b/<int:pk>/", access_policy(SIGNED_IN)(_undeclared)),
        path("c/", access_policy(SIGNED_IN)(_declared)),
    ]
    with override_settings(ROOT_URLCONF=__name__):
        assert "nested/<int:pk>/undeclared/" in ungated(get_resolver())
    caught = [route.route for route in walk(patterns) if not route.callback_gated]
    assert caught == ["a/<int:pk>/", "b/<int:pk>/"]


def test_object_pages_can_only_be_declared_through_the_gate():
    with pytest.raises(ValueError, match="gate"):
        access_policy(OBJECT)


def test_every_declared_policy_is_known():
    unknown = {r.route: r.policy for r in project_routes() if r.policy not in KNOWN_POLICIES}
    assert not unknown


def test_walker_catches_an_undeclared_view():
    with override_settings(ROOT_URLCONF=__name__):
        assert undeclared(get_resolver()) == ["nested/<int:pk>/undeclared/"]
        # ... so the real test would fail for this urlconf.
        with pytest.raises(AssertionError, match="undeclared"):
            test_every_view_declares_an_access_policy()


def test_walker_sees_through_a_decorator_without_wraps():
    """A decorator applied outside access_policy that drops attributes is caught too."""

    def careless(view):
        def inner(request, *args, **kwargs):
            return view(request, *args, **kwargs)

        return inner

    patterns = [path("p/", careless(access_policy(SIGNED_IN)(_declared)))]
    assert [route.route for route in walk(patterns) if route.policy is None] == ["p/"]


def test_only_the_expected_pages_are_public():
    public = {route.name for route in project_routes() if route.policy == PUBLIC}
    assert public == EXPECTED_PUBLIC


NON_PUBLIC = [route for route in project_routes() if route.policy != PUBLIC]


@pytest.mark.django_db
@pytest.mark.parametrize("route", NON_PUBLIC, ids=[r.name or r.route for r in NON_PUBLIC])
def test_anonymous_user_is_sent_to_login(client, route):
    url = route.example_url()
    login_url = f"{reverse('login')}?next={quote(url)}"

    response = client.get(url)
    if response.status_code == 405:
        # A POST-only view may refuse the method before asking who you are; it shows nothing.
        assert not response.content
    else:
        assert response.status_code == 302, url
        assert response.url == login_url

    response = client.post(url, {"reason": "x", "person": "1"})
    assert response.status_code == 302, url
    assert response.url == login_url


@pytest.mark.django_db
def test_public_pages_answer_anonymous_users(client):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302


POST_ONLY = [
    route
    for route in NON_PUBLIC
    if route.name in {"case_identify_existing", "log_flag", "consent_scan_upload"}
]


@pytest.mark.django_db
def test_anonymous_get_of_a_post_only_page_is_sent_to_login(client):
    assert POST_ONLY
    for route in POST_ONLY:
        response = client.get(route.example_url())
        assert response.status_code == 302, route.route
