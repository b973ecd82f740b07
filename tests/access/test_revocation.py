"""Revocation, expiry and removal end a partner's access at once (SPEC §5), on every surface.

A coordinator records a consent for a 16-year-old (the young person and the guardian sign)
covering the police; the police partner in the group sees the case in the list, on its page, by
search (alias, name, personnummer), on the start page and in the count. After the coordinator
revokes the consent on its page, the partner's very next request shows nothing of the case. The
same for a consent that expired yesterday or starts tomorrow, and for a removed group member.
Every case-page attempt is logged: "denied" when refused, "view" with its consent and
membership grounds when shown. Dates are relative to `timezone.localdate()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from insats.access import policy
from insats.access.models import AccessLogEntry
from insats.cases.models import Case, CaseMember
from insats.consent import services as consent_services
from insats.consent.models import Consent
from insats.organisations.models import InformationCategory
from insats.people.models import Guardian, Person
from tests.conftest import World, make_number

INTAKE_BASIS = "UNDERLAG: två rån och ett vapenbrott under våren"  # criminality data
FIRST, LAST = "Rut", "Återkallesson"
COUNT = re.compile(r'<p class="result-count" role="status">(\d+) (ärende|ärenden)</p>')


def today() -> date:
    return timezone.localdate()


@dataclass
class Setup:
    world: World
    case: Case
    person: Person
    guardian: Guardian
    member: CaseMember
    staff: Client
    partner: Client

    def consent(self, *, start: int = -10, end: int = 180, orgs=None, categories=None):
        """A consent recorded by the coordinator through the service; days relative to today."""
        w, now = self.world, today()
        return consent_services.consent_create(
            case=self.case,
            by=w.coordinator,
            organisations=orgs if orgs is not None else [w.police],
            categories=InformationCategory.objects.filter(
                unit=w.unit, code__in=categories or ("criminality", "health")
            ),
            place="Alfastad",
            signed_on=min(now, now + timedelta(days=start)),
            valid_from=now + timedelta(days=start),
            valid_until=now + timedelta(days=end),
            officer_name="Lotta Lots",
            officer_phone="08-123 456",
            officer_organisation=w.social,
            person_signed=True,
            guardians_signed=[self.guardian],
        )

    def search_terms(self) -> dict[str, str]:
        digits = self.person.identity_number
        return {
            "alias": self.case.alias,
            "first name": FIRST,
            "last name": LAST,
            "full name": f"{FIRST} {LAST}",
            "personnummer, 12 digits": digits,
            "personnummer, 12 formatted": f"{digits[:8]}-{digits[8:]}",
            "personnummer, 10 digits": digits[2:],
            "personnummer, 10 formatted": f"{digits[2:8]}-{digits[8:]}",
        }


@pytest.fixture
def setup(unit_a) -> Setup:
    now = today()
    birth = now - timedelta(days=16 * 365 + 100)  # 16 years and about three months
    person = unit_a.person(first=FIRST, last=LAST, birth=birth, serial=417)
    assert person.age() == 16
    guardian = Guardian.objects.create(person=person, name="Gun Återkallesson")
    case = unit_a.case(person=person, intake_basis=INTAKE_BASIS, age_at_first_offence=14)
    member = consent_services.member_add_user(
        case=case, by=unit_a.coordinator, user=unit_a.partner, organisation=unit_a.police
    )
    staff, partner = Client(), Client()
    staff.force_login(unit_a.coordinator)
    partner.force_login(unit_a.partner)
    return Setup(unit_a, case, person, guardian, member, staff, partner)


def page_pks(response) -> set[int]:
    return {case.pk for case in response.context["page"].paginator.object_list}


def count_of(response) -> int:
    (match,) = COUNT.findall(response.content.decode())
    number, noun = int(match[0]), match[1]
    assert noun == ("ärende" if number == 1 else "ärenden")
    return number


def detail_entries(case: Case, user) -> list[AccessLogEntry]:
    return list(
        AccessLogEntry.objects.filter(case_id=case.pk, user=user, object_type="case").order_by("pk")
    )


def assert_partner_sees(s: Setup, consents: list[Consent], *, criminality: bool = True) -> None:
    """Every surface shows the case to the partner, and the case page is logged as a view."""
    case, client, user = s.case, s.partner, s.world.partner
    before = len(detail_entries(case, user))
    response = client.get(reverse("case_detail", args=[case.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert escape(case.alias) in body
    assert (INTAKE_BASIS in body) == criminality
    entries = detail_entries(case, user)[before:]
    assert [e.action for e in entries] == ["view"]
    grounds = entries[0].grounds.split("; ")
    assert any(g.startswith("membership:") for g in grounds), grounds
    for consent in consents:
        assert any(
            g.startswith("consent:") and g.endswith(f"consent:{consent.pk}") for g in grounds
        ), (consent.pk, grounds)

    response = client.get(reverse("case_list"))
    assert page_pks(response) == {case.pk}
    assert count_of(response) == 1
    for name, term in s.search_terms().items():
        response = client.get(reverse("case_list"), {"q": term})
        assert page_pks(response) == {case.pk}, name
        assert count_of(response) == 1, name

    response = client.get(reverse("start"))
    assert [c.pk for c in response.context["member_cases"]] == [case.pk]
    assert escape(case.alias) in response.content.decode()

    assert set(policy.cases_visible_to(user)) == {case}


def assert_partner_sees_nothing(s: Setup) -> None:
    """No surface shows anything of the case; the refused case page is logged as denied."""
    case, client, user = s.case, s.partner, s.world.partner
    secrets = (case.alias, FIRST, LAST, INTAKE_BASIS, s.person.identity_number[2:8])

    before = len(detail_entries(case, user))
    response = client.get(reverse("case_detail", args=[case.pk]))
    assert response.status_code == 404
    entries = detail_entries(case, user)[before:]
    assert [(e.action, e.user_id) for e in entries] == [("denied", user.pk)]
    assert entries[0].grounds == ""

    response = client.get(reverse("case_list"))
    assert page_pks(response) == set()
    assert count_of(response) == 0
    body = response.content.decode()
    assert not [secret for secret in secrets if escape(secret) in body]
    for name, term in s.search_terms().items():
        response = client.get(reverse("case_list"), {"q": term})
        assert page_pks(response) == set(), name
        assert count_of(response) == 0, name

    response = client.get(reverse("start"))
    assert not response.context.get("member_cases")
    body = response.content.decode()
    assert not [secret for secret in secrets if escape(secret) in body]

    for url in (
        reverse("case_members", args=[case.pk]),
        *(
            reverse(name, args=[case.pk, consent.pk])
            for consent in case.consents.all()
            for name in ("consent_detail", "consent_pdf")
        ),
    ):
        assert client.get(url).status_code == 404, url

    assert not policy.cases_visible_to(user).exists()
    assert not policy.decide_case(user, policy.Action.VIEW_CASE, case)


# --- Revocation -------------------------------------------------------------------------------


def test_no_access_before_any_consent(setup):
    assert_partner_sees_nothing(setup)


def test_revocation_on_the_consent_page_ends_access_with_the_next_request(setup):
    consent = setup.consent()
    assert_partner_sees(setup, [consent])

    url = reverse("consent_revoke", args=[setup.case.pk, consent.pk])
    response = setup.staff.post(url, {"revoked_on": today().isoformat(), "how": "Per telefon"})
    assert response.status_code == 302
    assert response["Location"] == reverse("consent_detail", args=[setup.case.pk, consent.pk])
    consent.refresh_from_db()
    assert consent.revoked_on == today()
    assert consent.revoked_by == setup.world.coordinator

    assert_partner_sees_nothing(setup)
    # Staff of the unit still see the case, of course.
    assert setup.staff.get(reverse("case_detail", args=[setup.case.pk])).status_code == 200


def test_revocation_dated_earlier_also_ends_access(setup):
    consent = setup.consent(start=-30)
    url = reverse("consent_revoke", args=[setup.case.pk, consent.pk])
    yesterday = (today() - timedelta(days=1)).isoformat()
    assert setup.staff.post(url, {"revoked_on": yesterday, "how": "Brev"}).status_code == 302
    assert_partner_sees_nothing(setup)


def test_a_partner_cannot_revoke_or_open_the_revoke_page(setup):
    consent = setup.consent()
    url = reverse("consent_revoke", args=[setup.case.pk, consent.pk])
    assert setup.partner.get(url).status_code == 404
    response = setup.partner.post(url, {"revoked_on": today().isoformat(), "how": "x"})
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.revoked_on is None


def test_revoking_one_of_two_consents_keeps_only_the_others_categories(setup):
    crime = setup.consent(categories=("criminality",))
    health = setup.consent(categories=("health", "economy"))
    assert_partner_sees(setup, [crime, health])
    decision = policy.decide_case(setup.world.partner, policy.Action.VIEW_CASE, setup.case)
    assert decision.categories == {"criminality", "health", "economy"}

    url = reverse("consent_revoke", args=[setup.case.pk, crime.pk])
    response = setup.staff.post(url, {"revoked_on": today().isoformat(), "how": "Möte"})
    assert response.status_code == 302
    assert_partner_sees(setup, [health], criminality=False)
    decision = policy.decide_case(setup.world.partner, policy.Action.VIEW_CASE, setup.case)
    assert decision.categories == {"health", "economy"}
    assert not decision.covers("criminality")
    entry = detail_entries(setup.case, setup.world.partner)[-1]
    assert f"consent:consent:{crime.pk}" not in entry.grounds.split("; ")
    assert f"consent:consent:{health.pk}" in entry.grounds.split("; ")
    assert entry.category == "economy,health"


def test_a_consent_for_another_organisation_gives_the_police_nothing(setup):
    setup.consent(orgs=[setup.world.school])
    assert_partner_sees_nothing(setup)


# --- Expiry: computed on every request, no job needed -----------------------------------------


def test_consent_that_expired_yesterday_gives_no_access(setup):
    setup.consent(start=-60, end=-1)
    assert_partner_sees_nothing(setup)


def test_consent_valid_from_tomorrow_gives_no_access(setup):
    setup.consent(start=1, end=90)
    assert_partner_sees_nothing(setup)


@pytest.mark.parametrize(("start", "end"), [(-30, 0), (0, 30), (0, 0)])
def test_consent_is_valid_on_its_first_and_last_day(setup, start, end):
    consent = setup.consent(start=start, end=end)
    assert_partner_sees(setup, [consent])


def test_expiry_ends_access_the_day_after_the_last_day(setup):
    """The policy asked about tomorrow already says no for a consent ending today."""
    setup.consent(start=-10, end=0)
    partner, case = setup.world.partner, setup.case
    tomorrow = today() + timedelta(days=1)
    assert policy.decide_case(partner, policy.Action.VIEW_CASE, case)
    assert not policy.decide_case(partner, policy.Action.VIEW_CASE, case, tomorrow)
    assert not policy.cases_visible_to(partner, tomorrow).exists()


# --- Removal from the group -------------------------------------------------------------------


def test_removal_from_the_group_ends_access_with_the_next_request(setup):
    consent = setup.consent()
    assert_partner_sees(setup, [consent])

    url = reverse("member_remove", args=[setup.case.pk, setup.member.pk])
    assert setup.staff.post(url).status_code == 302
    setup.member.refresh_from_db()
    assert setup.member.removed_at is not None

    assert_partner_sees_nothing(setup)


def test_added_again_after_removal_sees_the_case_again(setup):
    consent = setup.consent()
    url = reverse("member_remove", args=[setup.case.pk, setup.member.pk])
    assert setup.staff.post(url).status_code == 302
    assert_partner_sees_nothing(setup)
    w = setup.world
    consent_services.member_add_user(
        case=setup.case, by=w.coordinator, user=w.partner, organisation=w.police
    )
    assert_partner_sees(setup, [consent])


# --- The access log ---------------------------------------------------------------------------


def test_every_case_page_attempt_is_logged(setup):
    """Denied, viewed, denied: one entry per attempt, in order, with the grounds of the view."""
    case, partner = setup.case, setup.world.partner
    url = reverse("case_detail", args=[case.pk])
    assert setup.partner.get(url).status_code == 404
    consent = setup.consent()
    assert setup.partner.get(url).status_code == 200
    assert setup.partner.get(url).status_code == 200
    consent_services.consent_revoke(
        consent=consent, by=setup.world.coordinator, revoked_on=today(), how="Muntligt"
    )
    assert setup.partner.get(url).status_code == 404

    entries = detail_entries(case, partner)
    assert [e.action for e in entries] == ["denied", "view", "view", "denied"]
    for entry in entries:
        assert (entry.unit_id, entry.person_id) == (case.unit_id, setup.person.pk)
    for entry in entries[1:3]:
        grounds = entry.grounds.split("; ")
        assert f"membership:member:{setup.member.pk}" in grounds
        assert f"consent:consent:{consent.pk}" in grounds
        assert entry.category == "criminality,health"
    assert entries[0].grounds == entries[3].grounds == ""


def test_list_and_search_are_logged_only_while_the_case_is_shown(setup):
    """The list and search pages name the cases they showed; after revocation, none."""
    consent = setup.consent()
    partner = setup.world.partner

    def search_entries():
        return list(AccessLogEntry.objects.filter(user=partner, action="search").order_by("pk"))

    setup.partner.get(reverse("case_list"), {"q": LAST})
    (entry,) = search_entries()
    assert re.search(rf"\bcases={setup.case.pk}\b", entry.detail), entry.detail
    assert entry.unit_id == setup.case.unit_id

    consent_services.consent_revoke(
        consent=consent, by=setup.world.coordinator, revoked_on=today(), how="Muntligt"
    )
    setup.partner.get(reverse("case_list"), {"q": LAST})
    setup.partner.get(reverse("start"))
    # Nothing shown, nothing logged as shown; the searches themselves are still logged.
    later = search_entries()[1:]
    assert [e.object_type for e in later] == ["case_list", "start"]
    assert all(not re.search(r"cases=\d", e.detail) for e in later)


def test_person_is_sixteen_and_both_signed(setup):
    """The consent above is the 15–17 kind: the young person and the guardian both signed."""
    consent = setup.consent()
    assert consent.person_signed
    assert list(consent.guardians_signed.all()) == [setup.guardian]
    assert setup.person.identity_number == make_number(setup.person.birth_date, 417)
