"""The person's group (social insatsgrupp) and disclosures made without consent (SPEC §2, §5).

Only the case's coordinator and the unit's supervisors change the group; removal is recorded,
never deleted. Each disclosure without consent is recorded one by one with its legal basis.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.cases.models import CaseMember
from insats.consent import services
from insats.consent.models import Disclosure
from insats.organisations.models import LegalReference, Membership


@pytest.fixture
def case(unit_a, kit):
    return kit.person_case(unit_a, age=17, first="Gruppa", guardians=["Maja Förälder"])


def members_url(case) -> str:
    return f"/arenden/{case.pk}/grupp/"


def remove_url(case, member) -> str:
    return f"/arenden/{case.pk}/grupp/{member.pk}/ta-bort/"


def membership_of(user) -> Membership:
    return Membership.objects.get(user=user)


def add_user_post(membership, function="Kommunpolis") -> dict:
    return {"add_user": "1", "user-membership": str(membership.pk), "user-function": function}


EXTERNAL = {
    "add_external": "1",
    "ext-name": "Kalle Fotbollstränare",
    "ext-function": "Fotbollstränare i Fiktiva IF",
    "ext-phone": "070-000 00 00",
    "ext-email": "kalle@example.org",
}


# --- adding members ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "supervisor", "supervisor_without_delegation"])
def test_coordinator_and_supervisors_add_a_partner_user(unit_a, case, login, who):
    by = getattr(unit_a, who)
    response = login(by).post(members_url(case), add_user_post(membership_of(unit_a.partner)))

    assert response.status_code == 302
    assert response["Location"] == members_url(case)
    member = CaseMember.objects.get(case=case)
    assert member.user == unit_a.partner
    assert member.organisation == unit_a.police
    assert member.function == "Kommunpolis"
    assert member.has_confidentiality_duty is True
    assert member.added_by == by
    entry = AccessLogEntry.objects.get(action="create", object_type="case_member")
    assert entry.object_id == str(member.pk)
    assert entry.case_id == case.pk
    assert entry.user == by

    page = login(by).get(members_url(case)).content.decode()
    assert "Medlemmen är tillagd i gruppen." in page
    assert unit_a.partner.get_full_name() in page
    assert "Inget gällande samtycke – ser inte ärendet" in page


def test_a_covered_partner_is_shown_as_covered(unit_a, kit, case, login):
    kit.consent(unit_a, case)
    login(unit_a.coordinator).post(members_url(case), add_user_post(membership_of(unit_a.partner)))
    page = login(unit_a.coordinator).get(members_url(case)).content.decode()
    assert "Täcks av samtycke" in page
    assert login(unit_a.partner).get(f"/arenden/{case.pk}/").status_code == 200


def test_an_external_person_is_marked_without_confidentiality_duty(unit_a, case, login):
    client = login(unit_a.coordinator)
    response = client.post(members_url(case), EXTERNAL)

    assert response.status_code == 302
    member = CaseMember.objects.get(case=case)
    assert member.user is None
    assert member.name == "Kalle Fotbollstränare"
    assert member.function == "Fotbollstränare i Fiktiva IF"
    assert member.email == "kalle@example.org"
    assert member.has_confidentiality_duty is False
    assert AccessLogEntry.objects.filter(
        action="create", object_type="case_member", object_id=str(member.pk), detail="external"
    ).exists()
    page = client.get(members_url(case)).content.decode()
    assert "Kalle Fotbollstränare" in page
    assert "Saknar tystnadsplikt" in page


def test_an_external_person_needs_a_name(unit_a, case, login, form_values):
    response = login(unit_a.coordinator).post(members_url(case), {**EXTERNAL, "ext-name": ""})
    assert response.status_code == 200
    assert "Det finns fel i formuläret" in response.content.decode()
    assert form_values(response)["ext-function"] == ["Fotbollstränare i Fiktiva IF"]
    assert not CaseMember.objects.filter(case=case).exists()


def test_another_coordinator_of_the_unit_cannot_change_the_group(unit_a, case, login):
    member = CaseMember.objects.create(
        case=case,
        name="Kalle Fotbollstränare",
        added_by=unit_a.coordinator,
        has_confidentiality_duty=False,
    )
    client = login(unit_a.coordinator2)

    page = client.get(members_url(case))
    assert page.status_code == 200  # they may look at the group
    assert 'name="add_user"' not in page.content.decode()
    assert 'name="add_external"' not in page.content.decode()

    assert (
        client.post(members_url(case), add_user_post(membership_of(unit_a.partner))).status_code
        == 404
    )
    assert client.post(members_url(case), EXTERNAL).status_code == 404
    assert client.get(remove_url(case, member)).status_code == 404
    assert client.post(remove_url(case, member)).status_code == 404
    member.refresh_from_db()
    assert member.removed_at is None
    assert CaseMember.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("who", ["partner_member", "other_unit", "leadership"])
def test_outsiders_get_404_on_the_group_pages(unit_a, unit_b, kit, case, login, who):
    kit.consent(unit_a, case)
    member = kit.partner_member(unit_a, case)
    user = {
        "partner_member": unit_a.partner,
        "other_unit": unit_b.supervisor,
        "leadership": unit_a.leadership,
    }[who]
    client = login(user)
    if who != "partner_member":
        assert client.get(members_url(case)).status_code == 404
    assert client.post(members_url(case), EXTERNAL).status_code == 404
    assert client.post(remove_url(case, member)).status_code == 404
    assert CaseMember.objects.filter(case=case).count() == 1


def test_a_user_without_a_role_in_the_unit_cannot_be_added(unit_a, unit_b, case, login):
    client = login(unit_a.coordinator)
    page = client.get(members_url(case)).content.decode()
    assert unit_b.partner.get_full_name() not in page.split("add-user-title", 1)[1]

    for outsider in (unit_b.partner, unit_a.leadership, unit_a.analyst, unit_a.administrator):
        response = client.post(members_url(case), add_user_post(membership_of(outsider)))
        assert response.status_code == 200, outsider
        assert "Välj ett giltigt alternativ" in response.content.decode()
    assert not CaseMember.objects.filter(case=case).exists()


def test_an_inactive_membership_is_not_offered(unit_a, case, login):
    membership = membership_of(unit_a.partner)
    membership.active = False
    membership.save()
    response = login(unit_a.coordinator).post(members_url(case), add_user_post(membership))
    assert response.status_code == 200
    assert not CaseMember.objects.filter(case=case).exists()


def test_the_service_refuses_a_user_of_another_unit(unit_a, unit_b, case):
    for organisation in (unit_a.police, unit_b.police):
        with pytest.raises(ValidationError) as caught:
            services.member_add_user(
                case=case, by=unit_a.coordinator, user=unit_b.partner, organisation=organisation
            )
        assert caught.value.message_dict["user"] == [
            "Användaren har ingen roll i den organisationen i enhetens samverkan."
        ]
    assert not CaseMember.objects.filter(case=case).exists()


def test_the_service_refuses_leadership_as_a_group_member(unit_a, case):
    with pytest.raises(ValidationError):
        services.member_add_user(
            case=case, by=unit_a.coordinator, user=unit_a.leadership, organisation=unit_a.social
        )


def test_the_same_user_cannot_be_added_twice(unit_a, case, login):
    client = login(unit_a.coordinator)
    client.post(members_url(case), add_user_post(membership_of(unit_a.partner)))
    response = client.post(members_url(case), add_user_post(membership_of(unit_a.partner)))
    assert response.status_code == 200
    assert "Användaren är redan med i gruppen." in response.content.decode()
    assert CaseMember.objects.filter(case=case).count() == 1


# --- removing members --------------------------------------------------------------------------


def test_removal_asks_first_then_records_who_and_when(unit_a, kit, case, login):
    kit.consent(unit_a, case)
    login(unit_a.coordinator).post(members_url(case), add_user_post(membership_of(unit_a.partner)))
    member = CaseMember.objects.get(case=case)
    assert login(unit_a.partner).get(f"/arenden/{case.pk}/").status_code == 200

    client = login(unit_a.supervisor)
    confirm = client.get(remove_url(case, member))
    assert confirm.status_code == 200
    assert "Vill du ta bort" in confirm.content.decode()
    assert unit_a.partner.get_full_name() in confirm.content.decode()
    member.refresh_from_db()
    assert member.removed_at is None

    response = client.post(remove_url(case, member))
    assert response.status_code == 302
    assert response["Location"] == members_url(case)
    member.refresh_from_db()
    assert member.removed_at is not None
    assert member.removed_by == unit_a.supervisor
    assert CaseMember.objects.filter(pk=member.pk).exists()  # kept, not deleted
    assert AccessLogEntry.objects.filter(
        action="change", object_type="case_member", object_id=str(member.pk), detail="removed"
    ).exists()

    page = client.get(members_url(case)).content.decode()
    former = page.split("Tidigare medlemmar", 1)[1]
    assert unit_a.partner.get_full_name() in former
    assert unit_a.supervisor.get_full_name() in former
    assert timezone.localdate().isoformat() in former

    # removal ends the partner's access at once
    assert login(unit_a.partner).get(f"/arenden/{case.pk}/").status_code == 404
    # and a removed member cannot be removed again
    assert client.post(remove_url(case, member)).status_code == 404


# --- disclosures without consent ---------------------------------------------------------------


def disclosure_basis(world) -> LegalReference:
    return LegalReference.objects.get(unit=world.unit, kind="disclosure", code="osl_10_18a")


def consent_basis(world) -> LegalReference:
    return LegalReference.objects.get(unit=world.unit, kind="consent")


def disclosure_post(world, **overrides) -> dict:
    data = {
        "information": "Uppgift om oro för fortsatt brottslig utveckling (fiktiv).",
        "to_organisation": str(world.police.pk),
        "to_person": "Kommunpolis Fiktiv",
        "disclosed_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
        "legal_basis": str(disclosure_basis(world).pk),
        "note": "Lämnat per telefon.",
    }
    data.update(overrides)
    return data


def disclosure_url(case) -> str:
    return f"/arenden/{case.pk}/utlamnanden/nytt/"


def test_a_disclosure_is_recorded_and_listed(unit_a, case, login):
    client = login(unit_a.investigator)
    data = disclosure_post(unit_a)
    response = client.post(disclosure_url(case), data)

    assert response.status_code == 302
    assert response["Location"] == f"/arenden/{case.pk}/"
    disclosure = Disclosure.objects.get(case=case)
    assert disclosure.information == data["information"]
    assert disclosure.to_organisation == unit_a.police
    assert disclosure.to_person == "Kommunpolis Fiktiv"
    assert disclosure.disclosed_on.isoformat() == data["disclosed_on"]
    assert disclosure.legal_basis == disclosure_basis(unit_a)
    assert disclosure.disclosed_by == unit_a.investigator
    entry = AccessLogEntry.objects.get(action="create", object_type="disclosure")
    assert entry.object_id == str(disclosure.pk)
    assert "legal_basis:osl_10_18a" in entry.grounds

    case_page = client.get(response["Location"]).content.decode()
    assert "Utlämnandet är registrerat." in case_page
    section = case_page.split("Utlämnanden utan samtycke", 1)[1]
    assert data["information"] in section
    assert "OSL 10 kap. 18 a §" in section

    register = client.get("/utlamnanden/").content.decode()
    assert data["information"] in register
    assert case.alias in register


def test_the_register_filters_by_date(unit_a, kit, case, login):
    today = timezone.localdate()
    for days, text in ((40, "Tidigt utlämnande"), (3, "Sent utlämnande")):
        services.disclosure_record(
            case=case,
            by=unit_a.coordinator,
            information=text,
            to_organisation=unit_a.police,
            disclosed_on=today - timedelta(days=days),
            legal_basis=disclosure_basis(unit_a),
        )
    client = login(unit_a.supervisor)

    def shown(query: str) -> set[str]:
        page = client.get(f"/utlamnanden/{query}").content.decode()
        return {t for t in ("Tidigt utlämnande", "Sent utlämnande") if t in page}

    middle = (today - timedelta(days=10)).isoformat()
    assert shown("") == {"Tidigt utlämnande", "Sent utlämnande"}
    assert shown(f"?fran={middle}") == {"Sent utlämnande"}
    assert shown(f"?till={middle}") == {"Tidigt utlämnande"}
    assert shown(f"?fran={(today - timedelta(days=3)).isoformat()}&till={today}") == {
        "Sent utlämnande"
    }
    assert shown("?fran=inte-ett-datum") == {"Tidigt utlämnande", "Sent utlämnande"}


@pytest.mark.parametrize("basis", ["consent_kind", "other_unit"])
def test_a_legal_basis_that_is_not_the_units_disclosure_basis_is_refused(
    unit_a, unit_b, case, login, basis
):
    reference = consent_basis(unit_a) if basis == "consent_kind" else disclosure_basis(unit_b)
    response = login(unit_a.coordinator).post(
        disclosure_url(case), disclosure_post(unit_a, legal_basis=str(reference.pk))
    )
    assert response.status_code == 200
    assert "Det finns fel i formuläret" in response.content.decode()
    assert not Disclosure.objects.filter(case=case).exists()

    with pytest.raises(ValidationError) as caught:
        services.disclosure_record(
            case=case,
            by=unit_a.coordinator,
            information="Något",
            to_organisation=unit_a.police,
            disclosed_on=timezone.localdate(),
            legal_basis=reference,
        )
    assert caught.value.message_dict["legal_basis"] == [
        "Välj ett lagrum ur enhetens lista för utlämnanden."
    ]
    assert not Disclosure.objects.filter(case=case).exists()


def test_the_service_refuses_another_units_organisation_and_future_dates(unit_a, unit_b, case):
    with pytest.raises(ValidationError) as caught:
        services.disclosure_record(
            case=case,
            by=unit_a.coordinator,
            information="  ",
            to_organisation=unit_b.police,
            disclosed_on=timezone.localdate() + timedelta(days=1),
            legal_basis=disclosure_basis(unit_a),
        )
    assert set(caught.value.message_dict) == {"information", "to_organisation", "disclosed_on"}
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("who", ["partner_member", "other_unit"])
def test_outsiders_get_404_on_disclosure_pages(unit_a, unit_b, kit, case, login, who):
    kit.consent(unit_a, case)
    kit.partner_member(unit_a, case)
    services.disclosure_record(
        case=case,
        by=unit_a.coordinator,
        information="Hemlig uppgift om Gruppa (fiktiv)",
        to_organisation=unit_a.police,
        disclosed_on=timezone.localdate(),
        legal_basis=disclosure_basis(unit_a),
    )
    user = unit_a.partner if who == "partner_member" else unit_b.coordinator
    client = login(user)

    assert client.get(disclosure_url(case)).status_code == 404
    assert client.post(disclosure_url(case), disclosure_post(unit_a)).status_code == 404
    assert Disclosure.objects.filter(case=case).count() == 1

    register = client.get("/utlamnanden/")
    if who == "partner_member":
        assert register.status_code == 404
        case_page = client.get(f"/arenden/{case.pk}/").content.decode()
        assert "Hemlig uppgift" not in case_page
    else:  # staff of unit B have their own register, without unit A's disclosures
        assert register.status_code == 200
        assert "Hemlig uppgift" not in register.content.decode()
        assert case.alias not in register.content.decode()


def test_leadership_has_no_disclosure_register(unit_a, login):
    assert login(unit_a.leadership).get("/utlamnanden/").status_code == 404
