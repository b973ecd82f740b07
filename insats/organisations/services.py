"""Write use cases for units, their configuration, and who holds which role."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from insats.access import log

from . import defaults
from .models import CONFIG_LISTS, Membership, Organisation, Role, Unit, User


@transaction.atomic
def unit_create(*, name: str, municipality: str, **fields) -> Unit:
    """Create a unit with its own copy of the installation's template lists."""
    unit = Unit.objects.create(name=name, municipality=municipality, **fields)
    unit_copy_template_lists(unit=unit)
    return unit


def unit_copy_template_lists(*, unit: Unit) -> None:
    """Give the unit every template item it does not have yet (by code), and the default
    information letter when it has none; idempotent."""
    for model in CONFIG_LISTS:
        have = set(model.objects.filter(unit=unit).values_list("code", flat=True))
        copies = []
        for template in model.objects.filter(unit__isnull=True):
            if template.code in have:
                continue
            template.pk = None
            template.unit = unit
            copies.append(template)
        model.objects.bulk_create(copies)
    # Imported here: the investigation app builds on organisations, not the other way round.
    from insats.investigation.models import InformationLetter

    if not InformationLetter.objects.filter(unit=unit).exists():
        InformationLetter.objects.create(
            unit=unit,
            version="1",
            title=defaults.INFORMATION_LETTER_TITLE,
            body=defaults.INFORMATION_LETTER,
        )


# --- Memberships and account privileges ----------------------------------------------------
# Every grant, change and end of a role goes through these functions, in the admin as
# everywhere else: each writes an access-log entry naming who gave what to whom (so a
# supervisor's log review lists it), and nobody may give or change a role of their own — a
# superuser cannot make themselves staff of a unit and read its cases under a normal-looking
# ground.

MEMBERSHIP_FIELDS = ("organisation", "role", "may_decide", "function", "active")
PRIVILEGE_FLAGS = ("is_active", "is_staff", "is_superuser")
PRIVILEGE_RELATIONS = ("groups", "user_permissions")


def self_grant_error() -> ValidationError:
    return ValidationError(
        _(
            "Du kan inte ge dig själv en roll eller ändra dina egna behörigheter. "
            "Be en annan administratör."
        ),
        code="self_grant",
    )


def _refuse_self(by, user) -> None:
    if by is not None and by.pk == user.pk:
        raise self_grant_error()


def _yes_no(value: bool) -> str:
    return _("ja") if value else _("nej")


def _person(user) -> str:
    full_name = user.get_full_name()
    return f"{user.get_username()} ({full_name})" if full_name else user.get_username()


def _role_in(values: dict) -> str:
    """ "Lots/samordnare i Socialtjänsten Alfa (enhet Alfa)"."""
    organisation = values["organisation"]
    return _("%(role)s i %(organisation)s (enhet %(unit)s)") % {
        "role": Role(values["role"]).label,
        "organisation": organisation.name,
        "unit": organisation.unit.name,
    }


def _membership_text(values: dict) -> str:
    text = _("%(role_in)s; delegation att besluta: %(decides)s; aktiv: %(active)s") % {
        "role_in": _role_in(values),
        "decides": _yes_no(values["may_decide"]),
        "active": _yes_no(values["active"]),
    }
    if values["function"]:
        text += "; " + _("funktion: %(function)s") % {"function": values["function"]}
    return text


def _membership_changes(before: dict, after: dict) -> str:
    """ "delegation att besluta: nej → ja; roll: … → …" for the fields that differ."""

    def shown(name: str, value) -> str:
        if name == "organisation":
            return _("%(organisation)s (enhet %(unit)s)") % {
                "organisation": value.name,
                "unit": value.unit.name,
            }
        if name == "role":
            return str(Role(value).label)
        if isinstance(value, bool):
            return _yes_no(value)
        return value or "–"

    labels = {
        "organisation": _("organisation"),
        "role": _("roll"),
        "may_decide": _("delegation att besluta"),
        "function": _("funktion"),
        "active": _("aktiv"),
    }
    return "; ".join(
        f"{labels[name]}: {shown(name, before[name])} → {shown(name, after[name])}"
        for name in MEMBERSHIP_FIELDS
        if before[name] != after[name]
    )


def _membership_values(membership: Membership) -> dict:
    return {name: getattr(membership, name) for name in MEMBERSHIP_FIELDS}


def _log_grant(*, by, object_type: str, object_id, unit_ids, detail: str) -> None:
    """One entry per unit concerned, so each unit's log review lists the grant."""
    for unit_id in sorted(set(unit_ids)) or [None]:
        log.record(
            user=by,
            action=log.Action.GRANT,
            object_type=object_type,
            object_id=object_id,
            unit_id=unit_id,
            detail=detail,
        )


@transaction.atomic
def membership_grant(
    *,
    by,
    user: User,
    organisation: Organisation,
    role: str,
    may_decide: bool = False,
    function: str = "",
    active: bool = True,
) -> Membership:
    """Give `user` a role in `organisation` (or take an ended one up again), logged."""
    _refuse_self(by, user)
    existing = Membership.objects.filter(user=user, organisation=organisation, role=role).first()
    if existing is not None:
        return _membership_apply(
            by=by,
            membership=existing,
            changes={"may_decide": may_decide, "function": function, "active": active},
        )
    membership = Membership(
        user=user,
        organisation=organisation,
        role=role,
        may_decide=may_decide,
        function=function,
        active=active,
    )
    membership.full_clean()
    membership.save()
    with translation.override("sv"):
        detail = _("%(granter)s gav %(grantee)s rollen %(membership)s.") % {
            "granter": _person(by) if by is not None else _("systemet"),
            "grantee": _person(user),
            "membership": _membership_text(_membership_values(membership)),
        }
    _log_grant(
        by=by,
        object_type="membership",
        object_id=membership.pk,
        unit_ids=[organisation.unit_id],
        detail=detail,
    )
    return membership


@transaction.atomic
def membership_change(*, by, membership: Membership, **changes) -> Membership:
    """Change a role (organisation, role, delegation, function, active), logged before → after."""
    _refuse_self(by, membership.user)
    return _membership_apply(by=by, membership=membership, changes=changes)


@transaction.atomic
def membership_end(*, by, membership: Membership) -> Membership:
    """End a role; the row stays so the log and history can name it. Ending a role of one's
    own is allowed: it only takes a ground away."""
    return _membership_apply(by=by, membership=membership, changes={"active": False})


def _membership_apply(*, by, membership: Membership, changes: dict) -> Membership:
    unknown = set(changes) - set(MEMBERSHIP_FIELDS)
    if unknown:
        raise TypeError(f"Not a membership field: {', '.join(sorted(unknown))}")
    # Compare with the stored row, not the caller's instance: an admin form has already
    # written its new values onto the instance it hands us.
    current = (
        Membership.objects.select_for_update()
        .select_related("user", "organisation__unit")
        .get(pk=membership.pk)
    )
    before = _membership_values(current)
    for name, value in changes.items():
        setattr(current, name, value)
    after = _membership_values(current)
    if after == before:
        return current
    current.full_clean()
    current.save()
    with translation.override("sv"):
        if before["active"] and {**before, "active": False} == after:
            template = _("%(granter)s avslutade rollen %(role_in)s för %(grantee)s.")
        else:
            template = _("%(granter)s ändrade rollen %(role_in)s för %(grantee)s: %(changes)s.")
        detail = template % {
            "granter": _person(by) if by is not None else _("systemet"),
            "grantee": _person(current.user),
            "role_in": _role_in(before),
            "changes": _membership_changes(before, after),
        }
    _log_grant(
        by=by,
        object_type="membership",
        object_id=current.pk,
        # Moved to another unit's organisation: both units' reviews list it.
        unit_ids=[before["organisation"].unit_id, after["organisation"].unit_id],
        detail=detail,
    )
    for name in MEMBERSHIP_FIELDS:
        setattr(membership, name, getattr(current, name))
    return current


def _privileges_of(user: User) -> dict:
    values = {name: getattr(user, name) for name in PRIVILEGE_FLAGS}
    values["groups"] = frozenset(user.groups.all())
    values["user_permissions"] = frozenset(user.user_permissions.all())
    return values


def _privilege_label(name: str) -> str:
    return {
        "is_active": _("aktiv"),
        "is_staff": _("tillgång till administrationen"),
        "is_superuser": _("superanvändare"),
        "groups": _("grupper"),
        "user_permissions": _("behörigheter i administrationen"),
    }[name]


def _privilege_value(value) -> str:
    if isinstance(value, bool):
        return _yes_no(value)
    return ", ".join(sorted(str(item) for item in value)) or "–"


@transaction.atomic
def user_set_privileges(
    *,
    by,
    user: User,
    is_active: bool | None = None,
    is_staff: bool | None = None,
    is_superuser: bool | None = None,
    groups=None,
    user_permissions=None,
) -> User:
    """Change what an account may do beyond its memberships (None = unchanged), logged in every
    unit the user has a role in. Deactivating ends the user's sessions at once."""
    wanted = {
        "is_active": is_active,
        "is_staff": is_staff,
        "is_superuser": is_superuser,
        "groups": frozenset(groups) if groups is not None else None,
        "user_permissions": frozenset(user_permissions) if user_permissions is not None else None,
    }
    current = User.objects.select_for_update().get(pk=user.pk)
    before = _privileges_of(current)
    changed = [
        name for name, value in wanted.items() if value is not None and value != before[name]
    ]
    if not changed:
        return current
    _refuse_self(by, user)
    flags = [name for name in changed if name in PRIVILEGE_FLAGS]
    for name in flags:
        setattr(current, name, wanted[name])
    if flags:
        current.save(update_fields=flags)
    for name in changed:
        if name in PRIVILEGE_RELATIONS:
            getattr(current, name).set(wanted[name])
    ended = user_end_sessions(user=current) if "is_active" in changed and not is_active else 0
    with translation.override("sv"):
        parts = [
            _("%(what)s: %(before)s → %(after)s")
            % {
                "what": _privilege_label(name),
                "before": _privilege_value(before[name]),
                "after": _privilege_value(wanted[name]),
            }
            for name in changed
        ]
        detail = _("%(granter)s ändrade kontot för %(grantee)s: %(changes)s.") % {
            "granter": _person(by) if by is not None else _("systemet"),
            "grantee": _person(current),
            "changes": "; ".join(parts),
        }
        if ended:
            detail += " " + _("Avslutade inloggningar: %(count)s.") % {"count": ended}
    _log_grant(
        by=by,
        object_type="user",
        object_id=current.pk,
        unit_ids=_units_of(current),
        detail=detail,
    )
    for name in flags:
        setattr(user, name, getattr(current, name))
    return current


def user_password_changed(*, by, user: User) -> None:
    """Log a password set by someone (the admin's password form writes it itself)."""
    with translation.override("sv"):
        detail = _("%(granter)s satte ett nytt lösenord för %(grantee)s.") % {
            "granter": _person(by) if by is not None else _("systemet"),
            "grantee": _person(user),
        }
    _log_grant(
        by=by,
        object_type="user",
        object_id=user.pk,
        unit_ids=_units_of(user),
        detail=detail,
    )


def _units_of(user: User):
    return Membership.objects.filter(user=user).values_list("organisation__unit_id", flat=True)


def user_deactivate(*, by, user: User) -> User:
    """Deactivate an account: no ground anywhere from now on, and every session ends."""
    return user_set_privileges(by=by, user=user, is_active=False)


def user_reactivate(*, by, user: User) -> User:
    return user_set_privileges(by=by, user=user, is_active=True)


def user_end_sessions(*, user: User) -> int:
    """Delete every stored session of `user`; returns how many.

    Sessions are only listable when they live in the database (the default engine and
    cached_db). With a cache or cookie engine nothing can be listed, but the authentication
    middleware still turns an inactive user away on the very next request.
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    get_model = getattr(store_class, "get_model_class", None)
    if get_model is None:
        return 0
    ended = 0
    rows = (
        get_model()
        .objects.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
    )
    for key, data in rows.iterator():
        store = store_class(key)
        if str(store.decode(data).get(SESSION_KEY)) == str(user.pk):
            store.delete(key)
            ended += 1
    return ended
