"""Decision pages through HTTP: continued investigation, enrolment (grant or decline),
re-examination, the printed decision, and who may decide."""

import re
from datetime import timedelta
from html import unescape
from io import BytesIO

import pytest
from django.utils import timezone
from pypdf import PdfReader

from insats.access.models import AccessLogEntry
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.cases.models import Case, CaseTransition
from insats.decisions import services
from insats.decisions.models import CaseDecision
from insats.organisations.models import LegalReference
from tests import builders
from tests.conftest import FormReader

GROUNDS_MISSING = "Beskriv bedömningen av detta underlag."
CONSENT_MISSING = "Det finns inget giltigt samtycke som omfattar polisen."
POLICE_MISSING = "Polisens lämplighetsbedömning saknas."
INVENTORY_MISSING = "Ingen behovs- och resursinventering är markerad som klar."
THREAT_MISSING = "Hotbildsbedömningen är inte klar (arbetsledaren ska vara informerad)."

CONDITION_LABELS = {
    "consent": "Giltigt samtycke som omfattar polisen",
    "police": "Polisens lämplighetsbedömning",
    "inventory": "Klar behovs- och resursinventering",
    "threat": "Klar hotbildsbedömning",
    "duties": "Åtskillnad av uppgifter och delegation",
}


# --- Helpers --------------------------------------------------------------------------------


def list_url(case):
    return f"/arenden/{case.pk}/beslut/"


def enrol_url(case):
    return f"/arenden/{case.pk}/beslut/inskrivning/"


def continue_url(case):
    return f"/arenden/{case.pk}/beslut/fortsatt-utredning/"


def reexamine_url(case):
    return f"/arenden/{case.pk}/beslut/omprovning/"


def pdf_url(case, decision):
    return f"/arenden/{case.pk}/beslut/{decision.pk}/beslut.pdf"


def text_of(response) -> str:
    return unescape(response.content.decode())


def form_values(response) -> dict[str, str]:
    reader = FormReader()
    reader.feed(response.content.decode())
    return {name: values[-1].removeprefix("\n") for name, values in reader.values.items()}


def checklist(response) -> dict[str, bool]:
    """Condition code → met, read from the page's checklist."""
    found = {}
    items = re.findall(
        r'<li class="checklist--(met|missing)">(.*?)</li>', text_of(response), flags=re.S
    )
    for state, body in items:
        for code, label in CONDITION_LABELS.items():
            if label in body:
                found[code] = state == "met"
    return found


def error_summary(response) -> list[str]:
    """The items of the error summary at the top of the form."""
    match = re.search(r'<div class="error-summary".*?</div>', text_of(response), flags=re.S)
    if not match:
        return []
    items = re.findall(r"<li>(.*?)</li>", match.group(0), flags=re.S)
    return [re.sub(r"<[^>]+>", "", item).strip() for item in items]


def support_reference(world) -> LegalReference:
    return LegalReference.objects.get(unit=world.unit, code="support_sol")


def grant_data(world, **changes):
    data = {
        "outcome": "yes",
        "decided_on": timezone.localdate().isoformat(),
        "reasons": "Personen vill lämna den kriminella miljön och tar emot stöd.",
        "risk_of_reoffending": "Hög risk för återfall utan insats.",
        "motivation": "Uttalad vilja till förändring, deltar i möten.",
        "needs": "Sysselsättning, boende och skuldrådgivning.",
        "resources": "Stöttande moster, fotbollstränare.",
        "criminality": "Debut vid 14 år, narkotikabrott de senaste sex månaderna.",
        "legal_reference": str(support_reference(world).pk),
        "review_on": "",
    }
    data.update(changes)
    return data


def decline_data(**changes):
    data = {
        "outcome": "no",
        "decided_on": timezone.localdate().isoformat(),
        "reasons": "Personen vill inte delta i insatsen.",
    }
    data.update(changes)
    return data


def enrolled_case(world):
    case = builders.enrollable_case(world)
    services.decide_enrolment(
        case=case,
        by=world.supervisor,
        outcome=True,
        decided_on=timezone.localdate(),
        reasons="Beviljas.",
        risk_of_reoffending="Hög.",
        motivation="God.",
        needs="Sysselsättning.",
        resources="Familj.",
        criminality="Narkotikabrott.",
        legal_reference=support_reference(world),
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def ready(unit_a):
    return builders.enrollable_case(unit_a)


@pytest.fixture
def incomplete(unit_a):
    return builders.identified_case(unit_a, state=State.DECISION)


# --- The enrolment page ---------------------------------------------------------------------


def test_the_enrol_page_shows_every_condition_met(unit_a, ready, login):
    response = login(unit_a.supervisor).get(enrol_url(ready))
    assert response.status_code == 200
    assert checklist(response) == {code: True for code in CONDITION_LABELS}
    html = text_of(response)
    assert ready.alias in html
    assert 'name="outcome"' in html and f'href="/arenden/{ready.pk}/beslut/"' in html


def test_the_enrol_page_shows_what_is_missing(unit_a, incomplete, login):
    response = login(unit_a.supervisor).get(enrol_url(incomplete))
    assert response.status_code == 200
    assert checklist(response) == {
        "consent": False,
        "police": False,
        "inventory": False,
        "threat": False,
        "duties": True,
    }
    html = text_of(response)
    for message in (CONSENT_MISSING, POLICE_MISSING, INVENTORY_MISSING, THREAT_MISSING):
        assert message in html
    # Declining stays possible, and the page says so.
    assert "Avslag kan beslutas även när villkoren inte är uppfyllda." in html


def test_the_police_asking_for_more_information_is_shown(unit_a, login):
    case = builders.identified_case(unit_a)
    builders.police_member(unit_a, case)
    builders.consent(unit_a, case)
    builders.police_assessment(unit_a, case, "more_information")
    case_services.case_transition(
        case=case, to_state=State.DECISION, by=unit_a.coordinator, reason="Klart."
    )
    response = login(unit_a.supervisor).get(enrol_url(case))
    assert checklist(response)["police"] is True
    assert "Polisen har angett att de behöver mer underlag." in text_of(response)


def test_granting_enrols_and_leads_to_the_first_follow_up_assessment(unit_a, ready, login):
    client = login(unit_a.supervisor)
    response = client.post(enrol_url(ready), grant_data(unit_a))

    assert response.status_code == 302
    assert response.url == f"/arenden/{ready.pk}/uppfoljningsbedomning/ny/?kind=first"
    ready.refresh_from_db()
    assert ready.state == State.ASSIGNMENT
    assert ready.decision_maker == unit_a.supervisor
    decision = CaseDecision.objects.get(case=ready)
    today = timezone.localdate()
    assert decision.kind == CaseDecision.Kind.ENROL and decision.outcome
    assert decision.legal_reference == support_reference(unit_a)
    assert decision.review_on == services.default_review_on(today)
    assert decision.review_on.month == (today.month + 5) % 12 + 1
    assert decision.decided_by == unit_a.supervisor
    assert decision.criminality.startswith("Debut vid 14 år")
    assert CaseTransition.objects.filter(case=ready, to_state=State.ASSIGNMENT).count() == 1
    assert AccessLogEntry.objects.filter(
        case_id=ready.pk, object_type="decision", object_id=decision.pk
    ).exists()

    follow_up = client.get(response.url)
    assert follow_up.status_code == 200
    assert "Första bedömningen" in text_of(follow_up)


def test_an_earlier_review_date_within_six_months_is_kept(unit_a, ready, login):
    review = timezone.localdate() + timedelta(days=90)
    response = login(unit_a.supervisor).post(
        enrol_url(ready), grant_data(unit_a, review_on=review.isoformat())
    )
    assert response.status_code == 302
    assert CaseDecision.objects.get(case=ready).review_on == review


def test_a_review_date_beyond_six_months_is_refused(unit_a, ready, login):
    late = services.default_review_on(timezone.localdate()) + timedelta(days=1)
    response = login(unit_a.supervisor).post(
        enrol_url(ready), grant_data(unit_a, review_on=late.isoformat())
    )
    assert response.status_code == 200
    assert "Biståndet ska omprövas inom sex månader." in text_of(response)
    assert form_values(response)["review_on"] == late.isoformat()
    assert not CaseDecision.objects.filter(case=ready).exists()


def test_granting_without_grounds_shows_swedish_errors_and_keeps_the_input(unit_a, ready, login):
    data = grant_data(
        unit_a,
        risk_of_reoffending="",
        motivation="  ",
        needs="",
        resources="",
        criminality="",
        legal_reference="",
    )
    response = login(unit_a.supervisor).post(enrol_url(ready), data)

    assert response.status_code == 200
    errors = error_summary(response)
    assert sum(GROUNDS_MISSING in e for e in errors) == 5
    assert any("Välj lagrum för det beviljade biståndet." in e for e in errors)
    for label in ("Risk för återfall i brott", "Motivation", "Behov", "Resurser", "Kriminalitet"):
        assert any(e.startswith(f"{label}:") for e in errors), label
    values = form_values(response)
    assert values["reasons"] == data["reasons"]
    assert values["outcome"] == "yes"
    assert values["decided_on"] == data["decided_on"]
    ready.refresh_from_db()
    assert ready.state == State.DECISION
    assert not CaseDecision.objects.filter(case=ready).exists()


def test_missing_reasons_are_refused_in_swedish(unit_a, ready, login):
    response = login(unit_a.supervisor).post(enrol_url(ready), decline_data(reasons=""))
    assert response.status_code == 200
    assert "Motivering: Skriv en motivering." in error_summary(response)
    assert not CaseDecision.objects.filter(case=ready).exists()


def test_a_decision_date_in_the_future_is_refused(unit_a, ready, login):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = login(unit_a.supervisor).post(enrol_url(ready), decline_data(decided_on=tomorrow))
    assert response.status_code == 200
    errors = error_summary(response)
    assert "Beslutsdatum: Beslutsdatumet kan inte ligga i framtiden." in errors
    assert form_values(response)["decided_on"] == tomorrow
    ready.refresh_from_db()
    assert ready.state == State.DECISION
    assert not CaseDecision.objects.filter(case=ready).exists()


def test_no_outcome_chosen_is_refused_in_swedish(unit_a, ready, login):
    response = login(unit_a.supervisor).post(enrol_url(ready), decline_data(outcome=""))
    assert response.status_code == 200
    assert "Beslut: Välj beslut." in error_summary(response)


def test_granting_an_incomplete_case_names_every_missing_condition(unit_a, incomplete, login):
    data = grant_data(unit_a)
    response = login(unit_a.supervisor).post(enrol_url(incomplete), data)

    assert response.status_code == 200
    assert error_summary(response) == [
        CONSENT_MISSING,
        POLICE_MISSING,
        INVENTORY_MISSING,
        THREAT_MISSING,
    ]
    assert form_values(response)["criminality"] == data["criminality"]
    incomplete.refresh_from_db()
    assert incomplete.state == State.DECISION
    assert not CaseDecision.objects.filter(case=incomplete).exists()


def test_declining_works_when_conditions_are_unmet(unit_a, incomplete, login):
    response = login(unit_a.supervisor).post(enrol_url(incomplete), decline_data())

    assert response.status_code == 302
    assert response.url == f"/arenden/{incomplete.pk}/"
    incomplete.refresh_from_db()
    assert incomplete.state == State.DECLINED
    decision = CaseDecision.objects.get(case=incomplete)
    assert decision.kind == CaseDecision.Kind.DECLINE and not decision.outcome
    assert decision.review_on is None


@pytest.mark.parametrize("who", ["coordinator", "supervisor_without_delegation", "investigator"])
def test_staff_who_may_not_decide_get_the_form_refused(unit_a, ready, login, who):
    client = login(getattr(unit_a, who))
    page = client.get(enrol_url(ready))
    assert page.status_code == 200
    assert 'name="outcome"' not in text_of(page)
    assert 'class="message message--error"' in text_of(page)

    for data in (grant_data(unit_a), decline_data()):
        response = client.post(enrol_url(ready), data)
        assert response.status_code == 403
    ready.refresh_from_db()
    assert ready.state == State.DECISION
    assert not CaseDecision.objects.filter(case=ready).exists()


def test_the_refusal_says_why(unit_a, ready, login):
    no_delegation = login(unit_a.supervisor_without_delegation).get(enrol_url(ready))
    assert "Du har inte delegation att besluta." in text_of(no_delegation)
    coordinator = login(unit_a.coordinator).get(enrol_url(ready))
    assert "Din roll får inte göra detta steg." in text_of(coordinator)


def test_a_deciding_supervisor_who_coordinates_the_case_is_refused(unit_a, login):
    case = builders.enrollable_case(unit_a)
    Case.objects.filter(pk=case.pk).update(coordinator=unit_a.supervisor)
    response = login(unit_a.supervisor).post(enrol_url(case), grant_data(unit_a))
    assert response.status_code == 403
    assert "åtskillnad av uppgifter" in text_of(response)
    assert not CaseDecision.objects.filter(case=case).exists()


def test_partners_get_404_on_every_decision_page(unit_a, ready, login):
    decision = CaseDecision.objects.create(
        case=ready,
        kind=CaseDecision.Kind.CONTINUE_INVESTIGATION,
        outcome=True,
        decided_on=timezone.localdate(),
        reasons="Fortsätter.",
        decided_by=unit_a.supervisor,
    )
    client = login(unit_a.partner)  # police member with consent covering criminality
    assert client.get(f"/arenden/{ready.pk}/").status_code == 200
    for url in (list_url(ready), enrol_url(ready), reexamine_url(ready), pdf_url(ready, decision)):
        assert client.get(url).status_code == 404, url
    assert client.post(enrol_url(ready), grant_data(unit_a)).status_code == 404
    assert AccessLogEntry.objects.filter(
        case_id=ready.pk, user=unit_a.partner, object_type="decisions", action="denied"
    ).exists()
    assert not CaseDecision.objects.filter(case=ready, kind=CaseDecision.Kind.ENROL).exists()


def test_another_units_staff_get_404(unit_a, unit_b, ready, login):
    client = login(unit_b.supervisor)
    for url in (list_url(ready), enrol_url(ready), continue_url(ready), reexamine_url(ready)):
        assert client.get(url).status_code == 404, url
    assert client.post(enrol_url(ready), grant_data(unit_a)).status_code == 404
    ready.refresh_from_db()
    assert ready.state == State.DECISION


def test_viewing_the_decision_pages_is_logged(unit_a, ready, login):
    client = login(unit_a.supervisor)
    client.get(list_url(ready))
    client.get(enrol_url(ready))
    entries = AccessLogEntry.objects.filter(
        case_id=ready.pk, user=unit_a.supervisor, object_type="decisions", action="view"
    )
    assert entries.count() == 2


def test_the_generic_step_url_leads_to_the_enrol_page(unit_a, ready, login):
    client = login(unit_a.supervisor)
    for method in (client.get, client.post):
        response = method(f"/arenden/{ready.pk}/steg/assignment/")
        assert response.status_code == 302
        assert response.url == enrol_url(ready)
    declined = client.get(f"/arenden/{ready.pk}/steg/declined/")
    assert declined.url == enrol_url(ready)
    ready.refresh_from_db()
    assert ready.state == State.DECISION


def test_the_enrol_page_of_a_case_not_waiting_for_decision_redirects(unit_a, login):
    case = builders.identified_case(unit_a)
    response = login(unit_a.supervisor).post(enrol_url(case), decline_data())
    assert response.status_code == 302
    assert response.url == list_url(case)
    case.refresh_from_db()
    assert case.state == State.INVESTIGATION
    assert not CaseDecision.objects.filter(case=case).exists()


# --- Continued investigation ----------------------------------------------------------------


def test_no_to_continued_investigation_ends_the_case(unit_a, login):
    case = builders.identified_case(unit_a)
    client = login(unit_a.supervisor)
    assert client.get(continue_url(case)).status_code == 200
    response = client.post(
        continue_url(case),
        {
            "outcome": "no",
            "decided_on": timezone.localdate().isoformat(),
            "reasons": "Inga tecken på kriminell livsstil.",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.DECLINED
    decision = CaseDecision.objects.get(case=case)
    assert decision.kind == CaseDecision.Kind.CONTINUE_INVESTIGATION
    assert not decision.outcome
    assert CaseTransition.objects.get(case=case, to_state=State.DECLINED).reason.startswith(
        "Inga tecken"
    )


def test_yes_to_continued_investigation_keeps_it_in_investigation(unit_a, login):
    case = builders.identified_case(unit_a)
    response = login(unit_a.supervisor).post(
        continue_url(case),
        {
            "outcome": "yes",
            "decided_on": timezone.localdate().isoformat(),
            "reasons": "Oro från skola och polis.",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.INVESTIGATION
    decision = CaseDecision.objects.get(case=case)
    assert decision.outcome and decision.kind == CaseDecision.Kind.CONTINUE_INVESTIGATION

    listing = login(unit_a.supervisor).get(list_url(case))
    assert "Fortsatt utredning" in text_of(listing)
    assert "Oro från skola och polis." in text_of(listing)


def test_continued_investigation_errors_are_swedish(unit_a, login):
    case = builders.identified_case(unit_a)
    response = login(unit_a.supervisor).post(
        continue_url(case), {"outcome": "", "decided_on": "", "reasons": "Utkast"}
    )
    assert response.status_code == 200
    errors = error_summary(response)
    assert "Ska utredningen fortsätta?: Välj ja eller nej." in errors
    assert any(e.startswith("Beslutsdatum:") for e in errors)
    assert form_values(response)["reasons"] == "Utkast"
    assert not CaseDecision.objects.filter(case=case).exists()


def test_the_coordinator_may_not_decide_on_continued_investigation(unit_a, login):
    case = builders.identified_case(unit_a)
    response = login(unit_a.coordinator).post(
        continue_url(case),
        {"outcome": "no", "decided_on": timezone.localdate().isoformat(), "reasons": "Nej."},
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == State.INVESTIGATION
    assert not CaseDecision.objects.filter(case=case).exists()


# --- Re-examination -------------------------------------------------------------------------


def test_a_reexamination_records_a_new_review_date(unit_a, login):
    case = enrolled_case(unit_a)
    client = login(unit_a.supervisor)
    page = client.get(reexamine_url(case))
    first_review = CaseDecision.objects.get(case=case).review_on
    assert f"Nuvarande omprövningsdatum: {first_review.isoformat()}." in text_of(page)

    review = timezone.localdate() + timedelta(days=120)
    response = client.post(
        reexamine_url(case),
        {
            "decided_on": timezone.localdate().isoformat(),
            "reasons": "Insatsen fungerar, fortsatt behov.",
            "review_on": review.isoformat(),
        },
    )
    assert response.status_code == 302
    reexamination = CaseDecision.objects.get(case=case, kind=CaseDecision.Kind.REEXAMINE)
    assert reexamination.review_on == review and reexamination.outcome
    assert services.current_review([case.pk])[case.pk] == reexamination
    case.refresh_from_db()
    assert case.state == State.ASSIGNMENT
    listing = client.get(list_url(case))
    assert f"Biståndet ska omprövas senast {review.isoformat()}." in text_of(listing)


def test_a_reexamination_without_a_date_gets_six_months(unit_a, login):
    case = enrolled_case(unit_a)
    response = login(unit_a.supervisor).post(
        reexamine_url(case),
        {"decided_on": timezone.localdate().isoformat(), "reasons": "Fortsatt behov."},
    )
    assert response.status_code == 302
    reexamination = CaseDecision.objects.get(case=case, kind=CaseDecision.Kind.REEXAMINE)
    assert reexamination.review_on == services.default_review_on(timezone.localdate())


def test_a_reexamination_more_than_six_months_ahead_is_refused(unit_a, login):
    case = enrolled_case(unit_a)
    late = services.default_review_on(timezone.localdate()) + timedelta(days=1)
    response = login(unit_a.supervisor).post(
        reexamine_url(case),
        {
            "decided_on": timezone.localdate().isoformat(),
            "reasons": "Fortsatt behov.",
            "review_on": late.isoformat(),
        },
    )
    assert response.status_code == 200
    assert (
        "Nästa omprövning senast: Nästa omprövning ska ligga inom sex månader efter beslutet."
        in error_summary(response)
    )
    values = form_values(response)
    assert values["review_on"] == late.isoformat()
    assert values["reasons"] == "Fortsatt behov."
    assert not CaseDecision.objects.filter(case=case, kind=CaseDecision.Kind.REEXAMINE).exists()


def test_a_reexamination_by_someone_without_delegation_is_refused(unit_a, login):
    case = enrolled_case(unit_a)
    response = login(unit_a.supervisor_without_delegation).post(
        reexamine_url(case),
        {"decided_on": timezone.localdate().isoformat(), "reasons": "Fortsatt behov."},
    )
    assert response.status_code == 403
    assert not CaseDecision.objects.filter(case=case, kind=CaseDecision.Kind.REEXAMINE).exists()


def test_no_reexamination_before_enrolment(unit_a, ready, login):
    response = login(unit_a.supervisor).post(
        reexamine_url(ready),
        {"decided_on": timezone.localdate().isoformat(), "reasons": "För tidigt."},
    )
    assert response.status_code == 302
    assert not CaseDecision.objects.filter(case=ready).exists()


# --- The printed decision -------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_decision_pdf_has_kind_legal_reference_and_reasons(unit_a, ready, login):
    client = login(unit_a.supervisor)
    client.post(enrol_url(ready), grant_data(unit_a))
    decision = CaseDecision.objects.get(case=ready)

    response = client.get(pdf_url(ready, decision))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Inskrivning och bistånd" in text
    assert "Bistånd enligt socialtjänstlagen" in text
    assert "Personen vill lämna den kriminella miljön" in text
    assert "Debut vid 14 år" in text
    assert decision.review_on.isoformat() in text
    assert AccessLogEntry.objects.filter(
        case_id=ready.pk, user=unit_a.supervisor, object_type="decisions", action="print"
    ).exists()


def test_a_decision_pdf_of_another_case_is_404(unit_a, ready, login):
    other = builders.identified_case(unit_a)
    decision = services.decide_continued_investigation(
        case=other,
        by=unit_a.supervisor,
        outcome=True,
        reasons="Fortsätter.",
        decided_on=timezone.localdate(),
    )
    client = login(unit_a.supervisor)
    assert client.get(pdf_url(ready, decision)).status_code == 404
    assert client.get(pdf_url(other, decision)).status_code == 200
