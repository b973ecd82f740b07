"""The disclosure register (/utlamnanden/) is social services' own record: it lists only
disclosures of cases in units where the user holds a staff role, never a case the user sees
only as a partner.
"""

from django.utils import timezone

from insats.access import policy
from insats.consent import services
from insats.consent.selectors import disclosure_register
from insats.organisations.models import LegalReference, Membership, Role
from tests.conftest import make_user


def disclose(world, case, information: str):
    return services.disclosure_record(
        case=case,
        by=world.coordinator,
        information=information,
        to_organisation=world.police,
        disclosed_on=timezone.localdate(),
        legal_basis=LegalReference.objects.filter(unit=world.unit, kind="disclosure").first(),
    )


def test_a_case_seen_only_as_a_partner_is_not_in_the_register(unit_a, unit_b, kit, login):
    """Staff in unit A, police partner in unit B's group under a valid consent."""
    both = make_user("dubbel", unit_a.social, Role.COORDINATOR)
    Membership.objects.create(user=both, organisation=unit_b.police, role=Role.PARTNER)
    own = kit.person_case(unit_a, age=20, first="Egen")
    partnered = kit.person_case(unit_b, age=20, first="Partner")
    kit.consent(unit_b, partnered)
    kit.partner_member(unit_b, partnered, user=both)
    disclose(unit_a, own, "Utlämnat i den egna enheten")
    disclose(unit_b, partnered, "Utlämnat i den andra enheten")

    # The set-up really lets the user see B's case, as a partner.
    assert policy.cases_visible_to(both).filter(pk=partnered.pk).exists()
    client = login(both)
    assert client.get(f"/arenden/{partnered.pk}/").status_code == 200

    register = client.get("/utlamnanden/")
    assert register.status_code == 200
    page = register.content.decode()
    assert "Utlämnat i den egna enheten" in page
    assert f'href="/arenden/{own.pk}/"' in page
    assert "Utlämnat i den andra enheten" not in page
    assert f'href="/arenden/{partnered.pk}/"' not in page
    assert [d.case_id for d in disclosure_register(both)] == [own.pk]


def test_a_partner_only_user_has_no_register(unit_b, kit, login):
    case = kit.person_case(unit_b, age=20)
    kit.consent(unit_b, case)
    kit.partner_member(unit_b, case)
    disclose(unit_b, case, "Utlämnat till polisen")
    assert login(unit_b.partner).get("/utlamnanden/").status_code == 404
    assert not disclosure_register(unit_b.partner).exists()
