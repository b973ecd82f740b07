"""Every view declares its access policy with one of these decorators.

A test walks all URL patterns and fails for a view without a declaration, so a new page cannot
be added without someone deciding who may see it. The object-level check itself happens in the
view through `policy.get_case_or_404` and friends.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login

PUBLIC = "public"  # no personal data at all (login, language switch)
SIGNED_IN = "signed_in"  # shows only what the policy's selectors return for this user
OBJECT = "object"  # fetches one case or person through the policy, 404 otherwise


def access_policy(kind: str):
    if kind not in {PUBLIC, SIGNED_IN, OBJECT}:
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
