"""Role grants are logged and never self-granted; a deactivated account loses its sessions.

Every change of a membership or an account's privileges — in the admin or through the services
— writes an access-log entry naming who gave what to whom, and the supervisor's log review
lists them. Nobody may give or change a role of their own: a superuser cannot make themselves
staff of a unit and read its cases under a normal-looking ground.
"""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from insats.access.models import AccessLogEntry
from insats.meetings import services_meetings
from insats.organisations import services
from insats.organisations.models import Membership, Organisation, Role, User
from tests.conftest import PASSWORD, FormReader

SELF_GRANT = "Du kan inte ge dig själv en roll eller ändra dina egna behörigheter."


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.org", PASSWORD)


def grants(**filters):
    return AccessLogEntry.objects.filter(action=AccessLogEntry.Action.GRANT, **filters)


def change_url(user) -> str:
    return reverse("admin:organisations_user_change", args=[user.pk])


def admin_form(client, user) -> dict:
    """The user's admin change form as a browser would submit it unchanged."""
    reader = FormReader()
    response = client.get(change_url(user))
    assert response.status_code == 200
    reader.feed(response.content.decode())
    values = {k: v for k, v in reader.values.items() if "__prefix__" not in k}
    values["_save"] = ["Spara"]
    return values


def add_membership_row(values: dict, organisation, role, **fields) -> dict:
    index = int(values["memberships-TOTAL_FORMS"][0])
    values["memberships-TOTAL_FORMS"] = [str(index + 1)]
    prefix = f"memberships-{index}-"
    values[prefix + "organisation"] = [str(organisation.pk)]
    values[prefix + "role"] = [role]
    values[prefix + "function"] = [fields.get("function", "")]
    values[prefix + "active"] = ["on"]
    if fields.get("may_decide"):
        values[prefix + "may_decide"] = ["on"]
    return values


def row_index(values: dict, membership) -> int:
    for key, value in values.items():
        if key.startswith("memberships-") and key.endswith("-id") and value == [str(membership.pk)]:
            return int(key.split("-")[1])
    raise AssertionError(f"membership {membership.pk} not in the form")


def new_user(username="nykomling") -> User:
    return User.objects.create_user(
        username=username, password=PASSWORD, first_name="Nina", last_name="Nykomling"
    )


# --- The admin ----------------------------------------------------------------------------


def test_admin_adding_a_membership_logs_who_granted_what_to_whom(client, root, unit_a):
    grantee = new_user()
    client.force_login(root)
    values = add_membership_row(admin_form(client, grantee), unit_a.social, Role.COORDINATOR)

    response = client.post(change_url(grantee), values)

    assert response.status_code == 302, response.content.decode()[:3000]
    membership = Membership.objects.get(user=grantee)
    assert (membership.organisation, membership.role, membership.active) == (
        unit_a.social,
        Role.COORDINATOR,
        True,
    )
    entry = grants().get()
    assert entry.user == root
    assert entry.username == "root"
    assert entry.unit_id == unit_a.unit.pk
    assert (entry.object_type, entry.object_id) == ("membership", str(membership.pk))
    assert "nykomling (Nina Nykomling)" in entry.detail
    assert "Lots/samordnare" in entry.detail
    assert unit_a.social.name in entry.detail


def test_admin_adding_a_user_with_a_role_logs_the_grant(client, root, unit_a):
    client.force_login(root)
    values = {
        "username": "nyanstalld",
        "password1": "ett-nytt-langt-losen-42",
        "password2": "ett-nytt-langt-losen-42",
        "usable_password": "true",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "_save": "Spara",
    }
    values = {key: [value] for key, value in values.items()}
    add_membership_row(values, unit_a.social, Role.INVESTIGATOR)

    response = client.post(reverse("admin:organisations_user_add"), values)

    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="nyanstalld")
    assert user.memberships.get().role == Role.INVESTIGATOR
    entry = grants().get()
    assert entry.username == "root"
    assert "root gav nyanstalld rollen Utredare/handläggare" in entry.detail


def test_admin_giving_delegation_logs_before_and_after(client, root, unit_a):
    member = unit_a.supervisor_without_delegation
    membership = member.memberships.get()
    client.force_login(root)
    values = admin_form(client, member)
    values[f"memberships-{row_index(values, membership)}-may_decide"] = ["on"]

    assert client.post(change_url(member), values).status_code == 302

    membership.refresh_from_db()
    assert membership.may_decide
    entry = grants().get()
    assert entry.detail == (
        "root ändrade rollen Arbetsledare/enhetschef i Socialtjänsten Alfa (enhet Alfa) för "
        "alfa-arbetsledare (Alfa-arbetsledare Testsson): delegation att besluta: nej → ja."
    )


def test_admin_ends_a_membership_by_unticking_active_and_logs_it(client, root, unit_a):
    member = unit_a.investigator
    membership = member.memberships.get()
    client.force_login(root)
    values = admin_form(client, member)
    values.pop(f"memberships-{row_index(values, membership)}-active")

    assert client.post(change_url(member), values).status_code == 302

    membership.refresh_from_db()
    assert not membership.active
    assert "avslutade rollen" in grants(object_id=str(membership.pk)).get().detail


def test_admin_cannot_delete_a_membership_or_a_user(client, root, unit_a):
    client.force_login(root)
    page = client.get(change_url(unit_a.investigator)).content.decode()
    assert "memberships-0-DELETE" not in page
    response = client.get(reverse("admin:organisations_user_delete", args=[unit_a.investigator.pk]))
    assert response.status_code == 403
    assert User.objects.filter(pk=unit_a.investigator.pk).exists()


def test_a_superuser_cannot_grant_themselves_a_role_in_the_admin(client, root, unit_a):
    client.force_login(root)
    values = add_membership_row(admin_form(client, root), unit_a.social, Role.COORDINATOR)

    response = client.post(change_url(root), values)

    assert response.status_code == 200
    assert SELF_GRANT in response.content.decode()
    assert not Membership.objects.filter(user=root).exists()
    assert not grants().exists()
    # ... and so still no ground for any case of the unit.
    case = unit_a.case()
    assert client.get(f"/arenden/{case.pk}/").status_code == 404


def staff_administrator(world) -> User:
    """The unit's system administrator with admin access to users and their roles."""
    user = world.administrator
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="organisations",
            codename__in=[
                "view_user",
                "change_user",
                "view_membership",
                "add_membership",
                "change_membership",
            ],
        )
    )
    return user


def test_nobody_can_change_their_own_role_in_the_admin(client, unit_a):
    admin_user = staff_administrator(unit_a)
    membership = admin_user.memberships.get()
    client.force_login(admin_user)
    values = admin_form(client, admin_user)
    values[f"memberships-{row_index(values, membership)}-role"] = [Role.SUPERVISOR]

    response = client.post(change_url(admin_user), values)

    assert response.status_code == 200
    assert SELF_GRANT in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.ADMINISTRATOR
    assert not grants().exists()


def test_a_staff_user_cannot_make_themselves_superuser_in_the_admin(client, unit_a):
    admin_user = staff_administrator(unit_a)
    client.force_login(admin_user)
    values = admin_form(client, admin_user)
    values["is_superuser"] = ["on"]

    response = client.post(change_url(admin_user), values)

    assert response.status_code == 200
    assert SELF_GRANT in response.content.decode()
    admin_user.refresh_from_db()
    assert not admin_user.is_superuser


def test_editing_ones_own_name_in_the_admin_still_works(client, root):
    client.force_login(root)
    values = admin_form(client, root)
    values["first_name"] = ["Rut"]
    assert client.post(change_url(root), values).status_code == 302
    root.refresh_from_db()
    assert root.first_name == "Rut"
    assert not grants().exists()


def test_admin_making_a_user_superuser_is_logged_in_their_units(client, root, unit_a):
    client.force_login(root)
    values = admin_form(client, unit_a.leadership)
    values["is_superuser"] = ["on"]

    assert client.post(change_url(unit_a.leadership), values).status_code == 302

    unit_a.leadership.refresh_from_db()
    assert unit_a.leadership.is_superuser
    entry = grants(object_type="user").get()
    assert entry.unit_id == unit_a.unit.pk
    assert "superanvändare: nej → ja" in entry.detail


def test_setting_someone_elses_password_in_the_admin_is_logged(client, root, unit_a):
    client.force_login(root)
    url = reverse("admin:auth_user_password_change", args=[unit_a.coordinator.pk])
    response = client.post(
        url,
        {
            "password1": "ett-nytt-langt-losen-42",
            "password2": "ett-nytt-langt-losen-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    unit_a.coordinator.refresh_from_db()
    assert unit_a.coordinator.check_password("ett-nytt-langt-losen-42")
    entry = grants(object_type="user").get()
    assert entry.unit_id == unit_a.unit.pk
    assert entry.detail == "root satte ett nytt lösenord för alfa-lots (Alfa-lots Testsson)."


def test_an_organisation_cannot_be_moved_to_another_unit_in_the_admin(client, root, unit_a, unit_b):
    client.force_login(root)
    url = reverse("admin:organisations_organisation_change", args=[unit_a.police.pk])
    response = client.post(
        url,
        {"name": unit_a.police.name, "kind": Organisation.Kind.POLICE, "unit": unit_b.unit.pk},
    )
    assert response.status_code == 302
    unit_a.police.refresh_from_db()
    assert unit_a.police.unit == unit_a.unit


# --- The services -------------------------------------------------------------------------


def test_the_service_refuses_a_self_grant(unit_a):
    with pytest.raises(ValidationError):
        services.membership_grant(
            by=unit_a.administrator,
            user=unit_a.administrator,
            organisation=unit_a.social,
            role=Role.SUPERVISOR,
        )
    assert not unit_a.administrator.memberships.filter(role=Role.SUPERVISOR).exists()
    with pytest.raises(ValidationError):
        services.membership_change(
            by=unit_a.supervisor_without_delegation,
            membership=unit_a.supervisor_without_delegation.memberships.get(),
            may_decide=True,
        )
    assert not unit_a.supervisor_without_delegation.memberships.get().may_decide
    with pytest.raises(ValidationError):
        services.user_set_privileges(by=unit_a.leadership, user=unit_a.leadership, is_staff=True)
    unit_a.leadership.refresh_from_db()
    assert not unit_a.leadership.is_staff
    assert not grants().exists()


def test_granting_an_ended_role_again_takes_it_up_and_logs_it(unit_a, root):
    membership = unit_a.investigator.memberships.get()
    services.membership_end(by=root, membership=membership)
    again = services.membership_grant(
        by=root, user=unit_a.investigator, organisation=unit_a.social, role=Role.INVESTIGATOR
    )
    assert again.pk == membership.pk
    assert again.active
    assert grants(object_id=str(membership.pk)).count() == 2


def test_a_role_must_fit_the_organisation(unit_a, root):
    with pytest.raises(ValidationError):
        services.membership_grant(
            by=root, user=new_user(), organisation=unit_a.police, role=Role.COORDINATOR
        )
    assert not grants().exists()


# --- Deactivation ends sessions -----------------------------------------------------------


def sessions_of(user) -> int:
    return sum(
        1
        for session in Session.objects.all()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    )


def test_deactivating_a_user_ends_their_sessions_at_once(unit_a, root):
    case = unit_a.case()
    user = unit_a.coordinator
    browser, other_browser, colleague = Client(), Client(), Client()
    assert browser.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    other_browser.force_login(user)
    colleague.force_login(unit_a.coordinator2)
    assert browser.get(f"/arenden/{case.pk}/").status_code == 200
    assert sessions_of(user) == 2

    services.user_deactivate(by=root, user=user)

    assert sessions_of(user) == 0
    assert sessions_of(unit_a.coordinator2) == 1
    for client in (browser, other_browser):
        response = client.get(f"/arenden/{case.pk}/")
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        assert "_auth_user_id" not in client.session
    assert colleague.get(f"/arenden/{case.pk}/").status_code == 200
    entry = grants(object_type="user").get()
    assert "aktiv: ja → nej" in entry.detail
    assert "Avslutade inloggningar: 2." in entry.detail


def test_deactivating_in_the_admin_ends_sessions_and_is_logged(client, root, unit_a):
    user = unit_a.partner
    browser = Client()
    browser.force_login(user)
    client.force_login(root)
    values = admin_form(client, user)
    values.pop("is_active")

    assert client.post(change_url(user), values).status_code == 302

    user.refresh_from_db()
    assert not user.is_active
    assert sessions_of(user) == 0
    assert browser.get("/").status_code == 302
    assert grants(object_type="user", unit_id=unit_a.unit.pk).exists()


def test_admin_action_deactivates_others_but_not_oneself(client, root, unit_a):
    feed = services_meetings.feed_create(user=unit_a.partner)
    client.force_login(root)
    response = client.post(
        reverse("admin:organisations_user_changelist"),
        {"action": "deactivate", "_selected_action": [unit_a.partner.pk, root.pk]},
        follow=True,
    )
    assert "Du kan inte avaktivera ditt eget konto." in response.content.decode()
    unit_a.partner.refresh_from_db()
    root.refresh_from_db()
    assert not unit_a.partner.is_active
    assert root.is_active
    # The calendar feed, too, stops with the account.
    assert Client().get(reverse("calendar_feed", args=[feed.token])).status_code == 404


# --- Log review ---------------------------------------------------------------------------


def test_log_review_lists_the_grants_of_the_supervisors_units(unit_a, unit_b, root, login):
    grantee = new_user()
    services.membership_grant(by=root, user=grantee, organisation=unit_a.police, role=Role.PARTNER)
    services.membership_grant(
        by=root, user=new_user("betanykomling"), organisation=unit_b.police, role=Role.PARTNER
    )

    client = login(unit_a.supervisor)
    page = client.get("/logg/?action=view").content.decode()
    section = page.split("Ändrade behörigheter", 1)[1]
    assert "nykomling (Nina Nykomling)" in section
    assert unit_a.police.name in section
    assert "betanykomling" not in page
    assert unit_b.police.name not in page
    filtered = client.get("/logg/?action=grant").content.decode()
    assert "Behörighet ändrad" in filtered
    assert "betanykomling" not in filtered
