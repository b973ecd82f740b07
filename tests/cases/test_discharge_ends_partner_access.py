"""Closing a case ends every partner ground at once (DESIGN: "a ground ends when its reason
ends ... discharge").

An enrolled case has the police partner in its group under a consent covering criminality,
family and health. The coordinator discharges it on the step page: the consent is ended in the
same move (logged, "Avslutat (ärendet utskrivet)"), and the partner's very next request for the
case page, its sections or their PDFs is a 404. Staff can still record a revocation of the
ended consent. Reopening revives nothing: the partner sees the case again only under a consent
registered after the reopening. A closed case offers none of the change actions.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from insats.access import policy
from insats.access.models import AccessLogEntry
from insats.cases.lifecycle import State
from insats.consent.models import Consent, EndReason
from insats.decisions import services as decisions
from insats.investigation.models import PoliceAssessment, ThreatAssessment
from insats.organisations.models import DischargeReason
from tests import builders
from tests.consent.conftest import pdf_text


@pytest.fixture
def enrolled(unit_a):
    case = builders.enrollable_case(unit_a)
    builders.decide(unit_a, case, State.ASSIGNMENT)
    case.refresh_from_db()
    return case


def partner_urls(case) -> dict[str, str]:
    """The case's pages (and PDFs) the police partner reads under its consent."""
    police = PoliceAssessment.objects.get(case=case, superseded_at__isnull=True)
    threat = ThreatAssessment.objects.get(case=case, superseded_at__isnull=True)
    base = f"/arenden/{case.pk}"
    return {
        "case": f"{base}/",
        "police": f"{base}/polisbedomning/",
        "police record": f"{base}/polisbedomning/{police.pk}/",
        "police pdf": f"{base}/polisbedomning/{police.pk}/polisbedomning.pdf",
        "threat": f"{base}/hotbild/",
        "threat record": f"{base}/hotbild/{threat.pk}/",
        "threat pdf": f"{base}/hotbild/{threat.pk}/hotbildsbedomning.pdf",
    }


def discharge_on_the_page(world, case, client):
    reason = DischargeReason.objects.get(unit=world.unit, code="goals_met")
    response = client.post(
        f"/arenden/{case.pk}/steg/{State.DISCHARGED}/",
        {"reason": "Målen är nådda.", "discharge_reason": reason.pk, "summary": "Har arbete."},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.DISCHARGED


def reopen(world, case):
    decisions.decide_reopen(
        case=case, by=world.supervisor, decided_on=timezone.localdate(), reasons="Vill ha stöd."
    )
    case.refresh_from_db()
    assert case.state == State.IMPLEMENTATION


def test_discharge_ends_the_partners_access_at_once(unit_a, enrolled, login):
    case, partner = enrolled, login(unit_a.partner)
    urls = partner_urls(case)
    for name, url in urls.items():
        assert partner.get(url).status_code == 200, name

    discharge_on_the_page(unit_a, case, login(unit_a.coordinator))

    partner = login(unit_a.partner)
    for name, url in urls.items():
        assert partner.get(url).status_code == 404, name
    assert not policy.cases_visible_to(unit_a.partner).filter(pk=case.pk).exists()
    assert case.alias not in partner.get("/arenden/").content.decode()
    # The refusals are on file for the log review.
    assert AccessLogEntry.objects.filter(
        user=unit_a.partner, case_id=case.pk, action="denied"
    ).exists()
    # The staff still read everything.
    staff = login(unit_a.coordinator)
    for name, url in urls.items():
        assert staff.get(url).status_code == 200, name


def test_the_discharge_ends_the_consent_and_logs_it(unit_a, enrolled, login):
    consent = Consent.objects.get(case=enrolled)
    discharge_on_the_page(unit_a, enrolled, login(unit_a.coordinator))

    consent.refresh_from_db()
    assert consent.ended_on == timezone.localdate()
    assert consent.end_reason == EndReason.DISCHARGE
    assert consent.revoked_on is None  # an end, not the person's revocation
    assert consent.status() == Consent.Status.ENDED
    assert consent.get_status_display() == "Avslutat (ärendet utskrivet)"
    assert not Consent.objects.active_on(timezone.localdate()).filter(case=enrolled).exists()
    entry = AccessLogEntry.objects.get(
        action="change", object_type="consent", detail__startswith="ended"
    )
    assert entry.object_id == str(consent.pk)
    assert entry.user == unit_a.coordinator
    assert entry.detail == "ended: discharge"

    client = login(unit_a.coordinator)
    case_page = client.get(f"/arenden/{enrolled.pk}/").content.decode()
    assert "Avslutat (ärendet utskrivet)" in case_page.split("Samtycken", 1)[1]
    detail = client.get(f"/arenden/{enrolled.pk}/samtycken/{consent.pk}/").content.decode()
    assert "Avslutat (ärendet utskrivet)" in detail
    assert "Ärendet skrevs ut" in detail
    pdf = client.get(f"/arenden/{enrolled.pk}/samtycken/{consent.pk}/samtycke.pdf")
    assert pdf.status_code == 200
    assert "Ärendet skrevs ut" in pdf_text(pdf.content)


def test_closing_without_enrolment_ends_the_consent_too(unit_a):
    """A declined case is closed as well: its consents end with "Ärendet avslutades"."""
    case = builders.enrollable_case(unit_a)
    builders.decide(unit_a, case, State.DECLINED)
    consent = Consent.objects.get(case=case)
    assert (consent.ended_on, consent.end_reason) == (timezone.localdate(), EndReason.CLOSED)
    assert consent.get_status_display() == "Avslutat (ärendet avslutat)"
    assert not policy.decide_case(unit_a.partner, policy.Action.VIEW_CASE, case)
    assert AccessLogEntry.objects.filter(
        object_type="consent", object_id=str(consent.pk), detail="ended: closed"
    ).exists()


def test_expired_and_revoked_consents_are_left_as_they_were(unit_a, enrolled, login):
    today = timezone.localdate()
    revoked = Consent.objects.get(case=enrolled)
    revoked.revoked_on = today - timedelta(days=1)
    revoked.save(update_fields=["revoked_on"])
    expired = builders.consent(unit_a, enrolled)
    Consent.objects.filter(pk=expired.pk).update(
        valid_from=today - timedelta(days=30), valid_until=today - timedelta(days=1)
    )
    discharge_on_the_page(unit_a, enrolled, login(unit_a.coordinator))
    for consent in (revoked, expired):
        consent.refresh_from_db()
        assert (consent.ended_on, consent.end_reason) == (None, "")


def test_staff_record_a_revocation_after_the_discharge(unit_a, enrolled, login):
    consent = Consent.objects.get(case=enrolled)
    client = login(unit_a.coordinator)
    discharge_on_the_page(unit_a, enrolled, client)
    detail_url = f"/arenden/{enrolled.pk}/samtycken/{consent.pk}/"
    revoke_url = f"{detail_url}aterkalla/"
    assert revoke_url in client.get(detail_url).content.decode()

    page = client.get(revoke_url)
    assert page.status_code == 200
    assert "ger ingen åtkomst" in page.content.decode()
    response = client.post(
        revoke_url, {"revoked_on": timezone.localdate().isoformat(), "how": "Brev från den unge"}
    )
    assert response.status_code == 302
    assert response["Location"] == detail_url

    consent.refresh_from_db()
    assert consent.revoked_on == timezone.localdate()
    assert consent.revoked_how == "Brev från den unge"
    assert consent.revoked_by == unit_a.coordinator
    assert consent.status() == Consent.Status.REVOKED
    assert AccessLogEntry.objects.filter(
        action="change", object_type="consent", object_id=str(consent.pk), detail="revoked"
    ).exists()
    detail = client.get(detail_url).content.decode()
    assert "Återkallelsen av samtycket är registrerad." in detail
    assert "Brev från den unge" in detail
    assert revoke_url not in detail  # nothing left to revoke
    # The case itself stays closed, and nothing else about the consent can change.
    enrolled.refresh_from_db()
    assert enrolled.state == State.DISCHARGED
    assert policy.decide_case(unit_a.coordinator, policy.Action.REVOKE_CONSENT, enrolled)
    assert not policy.decide_case(unit_a.coordinator, policy.Action.MANAGE_CONSENT, enrolled)


def test_a_partner_may_not_revoke(unit_a, enrolled, login):
    consent = Consent.objects.get(case=enrolled)
    url = f"/arenden/{enrolled.pk}/samtycken/{consent.pk}/aterkalla/"
    response = login(unit_a.partner).post(
        url, {"revoked_on": timezone.localdate().isoformat(), "how": "Försök"}
    )
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.revoked_on is None


def test_reopening_does_not_revive_the_partners_access(unit_a, enrolled, login):
    urls = partner_urls(enrolled)
    discharge_on_the_page(unit_a, enrolled, login(unit_a.coordinator))
    reopen(unit_a, enrolled)

    partner = login(unit_a.partner)
    for name, url in urls.items():
        assert partner.get(url).status_code == 404, name
    old = Consent.objects.get(case=enrolled)
    assert old.status() == Consent.Status.ENDED

    builders.consent(unit_a, enrolled)  # a new consent, after the reopening

    partner = login(unit_a.partner)
    for name, url in urls.items():
        assert partner.get(url).status_code == 200, name


CHANGE_ACTIONS = (
    "Registrera samtycke",
    "Registrera utlämnande utan samtycke",
    "Planera ett möte med gruppen",
    "Fördela ärendet",
)


def test_a_closed_case_offers_no_change_actions(unit_a, enrolled, login):
    client = login(unit_a.supervisor)
    page = client.get(f"/arenden/{enrolled.pk}/").content.decode()
    for label in CHANGE_ACTIONS:
        assert label in page, label  # an open case offers them

    discharge_on_the_page(unit_a, enrolled, login(unit_a.coordinator))

    client = login(unit_a.supervisor)
    page = client.get(f"/arenden/{enrolled.pk}/").content.decode()
    assert "Ärendet är avslutat." in page
    for label in CHANGE_ACTIONS:
        assert label not in page, label
    for path in ("samtycken/nytt/", "utlamnanden/nytt/", "personal/"):
        assert client.get(f"/arenden/{enrolled.pk}/{path}").status_code == 404, path
    # The supervisor's way back is still offered: reopening is a decision.
    assert "Återöppna ärendet" in page


def test_a_closed_de_identified_case_offers_no_identification(unit_a, login):
    case = unit_a.case()
    client = login(unit_a.coordinator)
    assert (
        f'href="/arenden/{case.pk}/identifiera/"'
        in client.get(f"/arenden/{case.pk}/").content.decode()
    )
    client.post(f"/arenden/{case.pk}/steg/{State.WITHDRAWN}/", {"reason": "Flyttat."})
    case.refresh_from_db()
    assert case.state == State.WITHDRAWN
    page = client.get(f"/arenden/{case.pk}/").content.decode()
    assert "Inte identifierad" in page
    assert f'href="/arenden/{case.pk}/identifiera/"' not in page
