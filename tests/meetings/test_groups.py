"""The unit's collaboration overview and its groups on three levels (SPEC §2): for the unit's
social-services staff only, members are users of the unit or named people with an e-mail
address, removing a member keeps the row, and the group's rhythm suggests the next meeting."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.meetings import services_groups as services
from insats.meetings.models import Contact, Group, GroupMember, Meeting
from insats.organisations.models import Membership, Role
from tests import builders
from tests.conftest import FormReader

OVERVIEW = "/samverkan/"
CREATE = "/samverkan/grupper/ny/"


def detail_url(group):
    return f"/samverkan/grupper/{group.pk}/"


def edit_url(group):
    return f"/samverkan/grupper/{group.pk}/andra/"


def add_url(group):
    return f"/samverkan/grupper/{group.pk}/medlemmar/ny/"


def remove_url(group, member):
    return f"/samverkan/grupper/{group.pk}/medlemmar/{member.pk}/ta-bort/"


def form_values(response) -> dict[str, str]:
    reader = FormReader()
    reader.feed(response.content.decode())
    return {name: values[-1].removeprefix("\n") for name, values in reader.values.items()}


def make_group(world, kind=Group.Kind.OPERATIONAL, name="Operativa gruppen", rhythm=30):
    return services.group_save(
        unit=world.unit, by=world.coordinator, kind=kind, name=name, rhythm_days=rhythm
    )


def add_partner(world, group, function="Kommunpolis"):
    return services.member_add(
        group=group,
        by=world.coordinator,
        user=world.partner,
        organisation=world.police,
        function=function,
    )


def add_external(world, group, name="Greta Gren", email="greta@example.org"):
    return services.member_add(
        group=group,
        by=world.coordinator,
        name=name,
        email=email,
        organisation=world.school,
        function="Rektor",
    )


# --- Who may see the pages --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "investigator", "supervisor"])
def test_the_units_staff_see_the_overview_and_the_group(unit_a, login, role):
    group = make_group(unit_a)
    client = login(getattr(unit_a, role))
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    assert "Operativa gruppen" in response.content.decode()
    assert client.get(detail_url(group)).status_code == 200


@pytest.mark.parametrize("role", ["partner", "leadership", "analyst", "administrator"])
def test_everyone_else_in_the_unit_gets_404(unit_a, login, role):
    group = make_group(unit_a)
    member = add_partner(unit_a, group)
    client = login(getattr(unit_a, role))
    for url in (OVERVIEW, CREATE, detail_url(group), edit_url(group), add_url(group)):
        assert client.get(url).status_code == 404, url
    # Even a member of the group does not keep the group's page: it is the unit's structure.
    assert client.post(remove_url(group, member)).status_code == 404
    response = client.post(CREATE, {"kind": "steering", "name": "X", "rhythm_days": 30})
    assert response.status_code == 404
    assert Group.objects.count() == 1
    member.refresh_from_db()
    assert member.removed_at is None


def test_another_units_staff_get_404_and_the_attempt_is_logged(unit_a, unit_b, login):
    group = make_group(unit_a)
    member = add_partner(unit_a, group)
    client = login(unit_b.supervisor)
    for url in (detail_url(group), edit_url(group), add_url(group), remove_url(group, member)):
        assert client.get(url).status_code == 404, url
    response = client.post(edit_url(group), {"kind": "steering", "name": "Kapad", "rhythm_days": 7})
    assert response.status_code == 404
    assert client.post(remove_url(group, member)).status_code == 404
    group.refresh_from_db()
    member.refresh_from_db()
    assert group.name == "Operativa gruppen"
    assert member.removed_at is None
    denied = AccessLogEntry.objects.filter(
        user=unit_b.supervisor, object_type="group", action="denied"
    )
    assert denied.count() == 6
    assert set(denied.values_list("unit_id", flat=True)) == {unit_a.unit.pk}
    # B's own overview shows none of A's groups, whatever ?enhet= says.
    body = client.get(f"{OVERVIEW}?enhet={unit_a.unit.pk}").content.decode()
    assert "Operativa gruppen" not in body
    assert unit_b.unit.name in body


def test_a_user_in_two_units_picks_the_unit(unit_a, unit_b, login):
    Membership.objects.create(
        user=unit_a.coordinator, organisation=unit_b.social, role=Role.COORDINATOR
    )
    make_group(unit_a, name="Alfas styrgrupp", kind=Group.Kind.STEERING)
    make_group(unit_b, name="Betas styrgrupp", kind=Group.Kind.STEERING)
    client = login(unit_a.coordinator)
    body = client.get(f"{OVERVIEW}?enhet={unit_b.unit.pk}").content.decode()
    assert "Betas styrgrupp" in body and "Alfas styrgrupp" not in body
    assert f"?enhet={unit_a.unit.pk}" in body  # the switcher leads to the other unit
    body = client.get(f"{OVERVIEW}?enhet={unit_a.unit.pk}").content.decode()
    assert "Alfas styrgrupp" in body and "Betas styrgrupp" not in body

    response = client.post(
        f"{CREATE}?enhet={unit_b.unit.pk}",
        {"kind": "preparation", "name": "Betas beredning", "rhythm_days": 14},
    )
    assert response.status_code == 302
    assert Group.objects.get(name="Betas beredning").unit == unit_b.unit


# --- The overview -----------------------------------------------------------------------------


def test_overview_shows_levels_members_contacts_agreements_and_checklist(unit_a, login):
    steering = make_group(unit_a, kind=Group.Kind.STEERING, name="Styrgruppen Alfa")
    add_partner(unit_a, steering, function="Lokalpolisområdeschef")
    add_external(unit_a, steering)
    today = timezone.localdate()
    for n, reviewed in enumerate((today, today - timedelta(days=400), today - timedelta(days=800))):
        Contact.objects.create(
            unit=unit_a.unit,
            organisation=unit_a.police,
            name=f"Kontakt {n}",
            phone="010-123",
            last_reviewed_on=reviewed,
        )
    services.agreement_save(
        unit=unit_a.unit,
        by=unit_a.coordinator,
        kind="situation",
        title="Lägesbild Alfa",
        dated_on=today - timedelta(days=800),
        review_on=today - timedelta(days=10),
    )
    response = login(unit_a.coordinator).get(OVERVIEW)
    body = response.content.decode()
    for text in (
        "Styrgrupp",
        "Operativ ledningsgrupp",
        "Beredningsgrupp/arbetsgrupp",
        "Styrgruppen Alfa",
        "Lokalpolisområdeschef",
        "Greta Gren",
        "Rektor",
        "Individuell grupp",
        "3 kontakter i listan.",
        "2 ska ses över",
        "Lägesbild Alfa",
        "Försenad översyn",
        "Årets checklista är inte ifylld ännu.",
        "/arenden/",
    ):
        assert text in body, text
    # Two of the levels have no group yet and offer to create one.
    assert body.count("Ingen grupp på den här nivån ännu.") == 2
    entry = AccessLogEntry.objects.get(user=unit_a.coordinator, object_type="collaboration")
    assert entry.unit_id == unit_a.unit.pk
    assert f"groups={steering.pk}" in entry.detail


def test_overview_runs_a_fixed_number_of_queries(unit_a, login, django_assert_max_num_queries):
    client = login(unit_a.coordinator)
    today = timezone.localdate()

    def add(count, start):
        for n in range(start, start + count):
            group = make_group(unit_a, kind=Group.Kind.values[n % 3], name=f"Grupp {n}")
            add_partner(unit_a, group)
            add_external(unit_a, group, name=f"Extern {n}", email=f"x{n}@example.org")
            Contact.objects.create(
                unit=unit_a.unit,
                organisation=unit_a.school,
                name=f"Kontakt {n}",
                email=f"k{n}@example.org",
                last_reviewed_on=today - timedelta(days=100 * n),
            )
            services.agreement_save(
                unit=unit_a.unit,
                by=unit_a.coordinator,
                kind="agreement",
                title=f"Avtal {n}",
                dated_on=today - timedelta(days=10),
                review_on=today + timedelta(days=n + 1),
            )

    add(3, 0)
    client.get(OVERVIEW)
    with CaptureQueriesContext(connection) as few:
        client.get(OVERVIEW)
    add(9, 3)
    with CaptureQueriesContext(connection) as many:
        response = client.get(OVERVIEW)
    assert "12 kontakter i listan." in response.content.decode()
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    with django_assert_max_num_queries(25):
        client.get(OVERVIEW)


# --- Creating and changing a group ------------------------------------------------------------


def test_staff_create_and_edit_a_group(unit_a, login):
    client = login(unit_a.coordinator)
    response = client.get(f"{CREATE}?niva=preparation")
    assert form_values(response)["kind"] == "preparation"
    response = client.post(
        CREATE,
        {"kind": "preparation", "name": "Beredningsgruppen", "rhythm_days": "14", "active": "on"},
    )
    group = Group.objects.get()
    assert response.status_code == 302
    assert response.url == f"{detail_url(group)}?enhet={unit_a.unit.pk}"
    assert (group.unit, group.kind, group.rhythm_days, group.active) == (
        unit_a.unit,
        "preparation",
        14,
        True,
    )
    values = form_values(client.get(edit_url(group)))
    assert values["name"] == "Beredningsgruppen" and values["rhythm_days"] == "14"

    response = client.post(
        edit_url(group), {"kind": "preparation", "name": "Arbetsgruppen", "rhythm_days": "21"}
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.rhythm_days, group.active) == ("Arbetsgruppen", 21, False)
    actions = list(
        AccessLogEntry.objects.filter(object_type="group", object_id=str(group.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "view", "change"]


def test_invalid_group_is_explained_in_swedish_and_the_input_kept(unit_a, login):
    client = login(unit_a.coordinator)
    response = client.post(CREATE, {"kind": "steering", "name": "  ", "rhythm_days": "0"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ange gruppens namn." in body
    assert "Ange mötesrytmen som 1–365 dagar." in body
    assert form_values(response)["kind"] == "steering"
    assert form_values(response)["rhythm_days"] == "0"
    response = client.post(CREATE, {"name": "Grupp", "rhythm_days": "abc"})
    body = response.content.decode()
    assert "Välj vilken nivå gruppen hör till." in body
    assert "Ange mötesrytmen i hela dagar." in body
    assert form_values(response)["name"] == "Grupp"
    assert not Group.objects.exists()


def test_the_service_refuses_someone_outside_the_units_social_services(unit_a, unit_b):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.group_save(
            unit=unit_a.unit, by=unit_b.coordinator, kind="steering", name="X", rhythm_days=30
        )
    with pytest.raises(PermissionDenied):
        services.group_save(
            unit=unit_a.unit, by=unit_a.partner, kind="steering", name="X", rhythm_days=30
        )


# --- Members ----------------------------------------------------------------------------------


def membership_of(user, organisation):
    return Membership.objects.get(user=user, organisation=organisation)


def test_staff_add_a_partner_and_an_external_and_remove_one(unit_a, login):
    group = make_group(unit_a)
    client = login(unit_a.supervisor)
    page = client.get(add_url(group)).content.decode()
    assert "Testsson – Polisen Alfa (Partner)" in page
    assert "Alfa-ledning" not in page  # no case content, so no place in a group as a user

    response = client.post(
        add_url(group),
        {
            "add_user": "1",
            "anvandare-membership": membership_of(unit_a.partner, unit_a.police).pk,
            "anvandare-function": "Kommunpolis",
        },
    )
    assert response.status_code == 302
    response = client.post(
        add_url(group),
        {
            "add_external": "1",
            "extern-name": "Greta Gren",
            "extern-email": "greta@example.org",
            "extern-organisation": unit_a.school.pk,
            "extern-function": "Rektor",
        },
    )
    assert response.status_code == 302
    partner, external = GroupMember.objects.order_by("pk")
    assert (partner.user, partner.organisation, partner.function) == (
        unit_a.partner,
        unit_a.police,
        "Kommunpolis",
    )
    assert (external.user, external.name, external.email, external.organisation) == (
        None,
        "Greta Gren",
        "greta@example.org",
        unit_a.school,
    )

    body = client.get(detail_url(group)).content.decode()
    for text in (
        "Kommunpolis",
        "Polisen Alfa",
        "Greta Gren",
        "Skolan Alfa",
        "Rektor",
        "Ingen inloggning",
    ):
        assert text in body, text
    assert "Var 30:e dag" in body

    confirm = client.get(remove_url(group, external))
    assert confirm.status_code == 200
    assert "Vill du ta bort Greta Gren" in confirm.content.decode()
    external.refresh_from_db()
    assert external.removed_at is None
    assert client.post(remove_url(group, external)).status_code == 302
    external.refresh_from_db()
    assert external.removed_at is not None
    body = client.get(detail_url(group)).content.decode()
    assert "Tidigare medlemmar" in body
    # Removed once; the same link is gone now.
    assert client.get(remove_url(group, external)).status_code == 404
    logged = AccessLogEntry.objects.filter(object_type="group_member").values_list(
        "action", flat=True
    )
    assert sorted(logged) == ["change", "create", "create"]


def test_invalid_members_are_explained_and_the_input_kept(unit_a, unit_b, login):
    group = make_group(unit_a)
    add_partner(unit_a, group)
    client = login(unit_a.coordinator)
    # An external needs an e-mail address; what was typed stays.
    response = client.post(
        add_url(group),
        {"add_external": "1", "extern-name": "Greta Gren", "extern-organisation": unit_a.school.pk},
    )
    assert response.status_code == 200
    assert "Ange personens e-postadress, så att kallelser kan skickas." in response.content.decode()
    values = form_values(response)
    assert values["extern-name"] == "Greta Gren"
    assert values["extern-organisation"] == str(unit_a.school.pk)
    # Another unit's organisation is no choice.
    response = client.post(
        add_url(group),
        {
            "add_external": "1",
            "extern-name": "Greta Gren",
            "extern-email": "greta@example.org",
            "extern-organisation": unit_b.school.pk,
        },
    )
    assert "Välj en av enhetens organisationer." in response.content.decode()
    # A user already in the group.
    response = client.post(
        add_url(group),
        {
            "add_user": "1",
            "anvandare-membership": membership_of(unit_a.partner, unit_a.police).pk,
        },
    )
    assert response.status_code == 200
    assert "Användaren är redan med i gruppen." in response.content.decode()
    # Another unit's user, or a leadership role, is no choice either.
    for membership in (
        membership_of(unit_b.partner, unit_b.police),
        membership_of(unit_a.leadership, unit_a.social),
    ):
        response = client.post(
            add_url(group), {"add_user": "1", "anvandare-membership": membership.pk}
        )
        assert "Välj en av enhetens användare." in response.content.decode()
    assert group.members.count() == 1


def test_the_service_checks_the_users_role_in_the_organisation(unit_a):
    group = make_group(unit_a)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.member_add(
            group=group, by=unit_a.coordinator, user=unit_a.partner, organisation=unit_a.school
        )
    assert "user" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.member_add(
            group=group, by=unit_a.coordinator, user=unit_a.leadership, organisation=unit_a.social
        )
    assert "user" in exc.value.error_dict
    school = builders.school_user(unit_a)
    member = services.member_add(
        group=group, by=unit_a.coordinator, user=school, organisation=unit_a.school
    )
    assert member.display_name == "Skol Testsson"
    # Staff sit in groups too.
    services.member_add(
        group=group, by=unit_a.coordinator, user=unit_a.supervisor, organisation=unit_a.social
    )
    assert group.members.count() == 2


def test_a_removed_member_can_be_added_again(unit_a):
    group = make_group(unit_a)
    member = add_partner(unit_a, group)
    services.member_remove(member=member, by=unit_a.coordinator)
    again = add_partner(unit_a, group)
    assert again.pk != member.pk
    assert group.members.filter(removed_at__isnull=True).get() == again


# --- The rhythm -------------------------------------------------------------------------------


def test_next_meeting_date_is_the_last_plus_the_rhythm(unit_a):
    group = make_group(unit_a, rhythm=14)
    assert services.next_meeting_date(group, date(2026, 3, 2)) == date(2026, 3, 16)
    assert services.next_meeting_date(group, None) == timezone.localdate() + timedelta(days=14)


def test_group_page_suggests_the_next_meeting_from_the_last_one(unit_a, login):
    group = make_group(unit_a, rhythm=14)
    client = login(unit_a.coordinator)
    body = client.get(detail_url(group)).content.decode()
    assert "Inget möte ännu" in body
    assert (timezone.localdate() + timedelta(days=14)).isoformat() in body

    starts = timezone.now() - timedelta(days=3)
    for status, days_ago in (("held", 3), ("cancelled", 1)):
        Meeting.objects.create(
            unit=unit_a.unit,
            kind="operational",
            group=group,
            title="Möte",
            starts_at=timezone.now() - timedelta(days=days_ago),
            ends_at=timezone.now() - timedelta(days=days_ago) + timedelta(hours=1),
            place="Rum 1",
            convener=unit_a.coordinator,
            created_by=unit_a.coordinator,
            status=status,
        )
    last = timezone.localdate(starts)
    assert services.last_meeting_day(group) == last
    body = client.get(detail_url(group)).content.decode()
    assert (last + timedelta(days=14)).isoformat() in body


def test_group_pages_are_logged(unit_a, login):
    group = make_group(unit_a)
    login(unit_a.investigator).get(detail_url(group))
    entry = AccessLogEntry.objects.get(user=unit_a.investigator, object_type="group")
    assert (entry.action, entry.unit_id, entry.object_id) == ("view", unit_a.unit.pk, str(group.pk))
