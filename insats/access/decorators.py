"""Every view declares its access policy.

A test walks all URL patterns and fails for a view without a declaration, so a new page cannot
be added without someone deciding who may see it. Pages about one object are declared by the
gate alone (`insats.access.gate`), which fetches the object, decides, logs and hands it over:
`access_policy(OBJECT)` is refused, so no view can claim to be an object page and fetch its
object itself.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login

PUBLIC = "public"  # no personal data at all (login, language switch, health)
SIGNED_IN = "signed_in"  # shows only what the policy's selectors return for this user
OBJECT = "object"  # receives one object from the gate, 404 otherwise


def access_policy(kind: str):
    if kind == OBJECT:
        raise ValueError("Object pages are declared by a decorator of insats.access.gate")
    if kind not in {PUBLIC, SIGNED_IN}:
        raise ValueError(f"Unknown access policy {kind!r}")

    def decorate(view):
        if kind == PUBLIC:
            view.access_policy = kind
            return view

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            return view(request, *args, **kwargs)

        wrapped.access_policy = kind
        return wrapped

    return decorate
