"""The case page's data comes cut to the decision (selectors.case_page): the template shows what
it receives, so a partner's page holds only what its consent's categories cover.
"""

import pytest
from django.utils import timezone

from insats.access import policy
from insats.cases import selectors
from insats.consent import services as consent_services
from insats.organisations.models import LegalReference
from tests import builders

BASIS = "UNDERLAG: tre rån under hösten"
SOURCE_DETAIL = "Närpolisen i Fiktiva"


@pytest.fixture
def case(unit_a):
    case = builders.identified_case(unit_a, intake_basis=BASIS, source_detail=SOURCE_DETAIL)
    builders.police_member(unit_a, case)
    consent_services.disclosure_record(
        case=case,
        by=unit_a.coordinator,
        information="Uppgift till skolan",
        to_organisation=unit_a.school,
        disclosed_on=timezone.localdate(),
        legal_basis=LegalReference.objects.filter(unit=unit_a.unit, kind="disclosure").first(),
    )
    return case


def page_for(user, case):
    decision = policy.decide_case(user, policy.Action.VIEW_CASE, case)
    assert decision
    return selectors.case_page(user, case, decision)


def values(page) -> str:
    return " ".join(fact.value for fact in page.facts)


def test_staff_get_everything(unit_a, case, login):
    builders.consent(unit_a, case, codes=("health",))
    page = page_for(unit_a.coordinator, case)
    assert BASIS in values(page) and SOURCE_DETAIL in values(page)
    assert page.categories is None
    assert page.section_status
    assert len(page.history) >= 1
    assert len(page.consents) == 1
    assert [d.information for d in page.disclosures] == ["Uppgift till skolan"]


def test_a_partner_without_criminality_gets_no_criminality_and_no_staff_parts(unit_a, case, login):
    builders.consent(unit_a, case, codes=("health",))
    page = page_for(unit_a.partner, case)
    assert BASIS not in values(page)
    assert SOURCE_DETAIL not in values(page)
    assert case.person.full_name in values(page)
    assert [c.code for c in page.categories] == ["health"]
    assert not page.section_status
    assert (page.history, page.consents, page.disclosures, page.conditions) == (
        None,
        None,
        None,
        None,
    )
    assert not any(fact.url for fact in page.facts)  # no link to the person page

    html = login(unit_a.partner).get(f"/arenden/{case.pk}/").content.decode()
    assert BASIS not in html and SOURCE_DETAIL not in html
    assert "Uppgift till skolan" not in html and "Tidslinje" not in html


def test_a_partner_with_criminality_gets_the_criminality_facts(unit_a, case, login):
    builders.consent(unit_a, case, codes=("criminality",))
    page = page_for(unit_a.partner, case)
    assert BASIS in values(page)
    assert SOURCE_DETAIL not in values(page)
    html = login(unit_a.partner).get(f"/arenden/{case.pk}/").content.decode()
    assert BASIS in html
    assert "Uppgift till skolan" not in html
