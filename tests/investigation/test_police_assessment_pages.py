"""Police suitability assessment pages: only the police member of the case's group records it;
staff and partners whose consent covers criminality read it, versions stay readable."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from insats.access.models import AccessLogEntry
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.consent import services as consent_services
from insats.consent.models import Consent
from insats.investigation import services as inv
from insats.investigation.models import PoliceAssessment
from tests import builders
from tests.conftest import FormReader

NOTE = "Endast polisen i ärendets grupp registrerar bedömningen."


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def form_values(response) -> dict[str, str]:
    reader = FormReader()
    reader.feed(response.content.decode())
    return {name: values[-1].removeprefix("\n") for name, values in reader.values.items()}


def list_url(case):
    return f"/arenden/{case.pk}/polisbedomning/"


def create_url(case):
    return f"/arenden/{case.pk}/polisbedomning/ny/"


def detail_url(case, record):
    return f"/arenden/{case.pk}/polisbedomning/{record.pk}/"


def edit_url(case, record):
    return f"/arenden/{case.pk}/polisbedomning/{record.pk}/andra/"


def pdf_url(case, record):
    return f"/arenden/{case.pk}/polisbedomning/{record.pk}/polisbedomning.pdf"


def valid_data(**changes):
    data = {
        "outcome": "suitable",
        "reasoning": "Inga hinder enligt belastningsregistret.",
        "assessed_on": timezone.localdate().isoformat(),
    }
    data.update(changes)
    return data


@pytest.fixture
def case(unit_a):
    case = builders.identified_case(unit_a)
    builders.police_member(unit_a, case)
    builders.consent(unit_a, case)
    return case


def test_police_member_records_and_a_new_version_keeps_the_old_one(unit_a, case, login):
    client = login(unit_a.partner)
    assert client.get(create_url(case)).status_code == 200

    response = client.post(create_url(case), valid_data())
    first = PoliceAssessment.objects.get(case=case)
    assert response.status_code == 302
    assert response.url == detail_url(case, first)
    assert first.organisation == unit_a.police
    assert first.recorded_by == unit_a.partner
    assert first.version == 1

    # The edit form is pre-filled from the version it edits.
    values = form_values(client.get(edit_url(case, first)))
    assert values["reasoning"] == "Inga hinder enligt belastningsregistret."
    assert values["outcome"] == "suitable"
    values.update(outcome="not_suitable", reasoning="Pågående grov brottslighet.")
    response = client.post(edit_url(case, first), values)
    second = PoliceAssessment.objects.get(case=case, superseded_at__isnull=True)
    assert response.status_code == 302
    assert second.version == 2 and second.series == first.series
    first.refresh_from_db()
    assert not first.is_current

    page = client.get(detail_url(case, second)).content.decode()
    assert "Pågående grov brottslighet." in page
    assert "hindrar att personen skrivs in" in page
    old = client.get(detail_url(case, second) + f"?version={first.pk}").content.decode()
    assert "Inga hinder enligt belastningsregistret." in old
    assert "Du läser version 1" in old

    # An edit link of the superseded version leads to the current one.
    response = client.get(edit_url(case, first))
    assert response.status_code == 302
    assert response.url == edit_url(case, second)

    logged = AccessLogEntry.objects.filter(case_id=case.pk, object_type="police_assessment")
    assert logged.filter(action="create", object_id=str(first.pk)).exists()
    assert logged.filter(action="change", object_id=str(second.pk)).exists()
    assert logged.filter(action="view", user=unit_a.partner).exists()


@pytest.mark.parametrize("role", ["coordinator", "investigator", "supervisor"])
def test_staff_may_not_record(unit_a, case, login, role):
    record = builders.police_assessment(unit_a, case)
    client = login(getattr(unit_a, role))
    before = list(PoliceAssessment.objects.values_list("pk", "superseded_at"))

    for url in (create_url(case), edit_url(case, record)):
        assert client.get(url).status_code in (403, 404)
        assert client.post(url, valid_data(outcome="not_suitable")).status_code in (403, 404)

    assert list(PoliceAssessment.objects.values_list("pk", "superseded_at")) == before
    page = client.get(list_url(case)).content.decode()
    assert NOTE in page
    assert create_url(case) not in page
    assert edit_url(case, record) not in page
    assert AccessLogEntry.objects.filter(
        case_id=case.pk, object_type="police_assessment", action="denied", detail="write"
    ).exists()


def test_staff_read_the_list_newest_first_and_not_suitable_is_marked(unit_a, case, login):
    older = builders.police_assessment(unit_a, case)
    PoliceAssessment.objects.filter(pk=older.pk).update(
        assessed_on=timezone.localdate() - timedelta(days=30)
    )
    builders.police_assessment(unit_a, case, PoliceAssessment.Outcome.NOT_SUITABLE)

    page = login(unit_a.coordinator).get(list_url(case)).content.decode()

    assert page.index("Inte lämplig") < page.index("Lämplig</span>")
    assert "tag--not-suitable" in page
    assert "Polisen har bedömt personen som inte lämplig." in page
    assert unit_a.police.name in page
    assert "Bedömd utifrån belastningsregistret och samtal." in page


def test_validation_messages_are_swedish_and_input_is_kept(unit_a, case, login):
    client = login(unit_a.partner)
    empty = client.post(create_url(case), {})
    assert empty.status_code == 200
    assert "Välj en bedömning." in empty.content.decode()

    response = client.post(create_url(case), valid_data(reasoning="", outcome=""))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Skriv en motivering." in page
    assert "Välj en bedömning." in page
    assert form_values(response)["assessed_on"] == timezone.localdate().isoformat()

    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(create_url(case), valid_data(assessed_on=future))
    assert response.status_code == 200
    assert "Datumet kan inte ligga i framtiden." in response.content.decode()
    values = form_values(response)
    assert values["assessed_on"] == future
    assert values["reasoning"] == "Inga hinder enligt belastningsregistret."
    assert not PoliceAssessment.objects.exists()


def test_two_edits_of_the_same_version_conflict(unit_a, case, login):
    record = builders.police_assessment(unit_a, case)
    client = login(unit_a.partner)
    mine = form_values(client.get(edit_url(case, record)))
    theirs = dict(mine, reasoning="Den andras motivering.")
    assert client.post(edit_url(case, record), theirs).status_code == 302

    mine.update(reasoning="Min egen motivering.", outcome="more_information")
    response = client.post(edit_url(case, record), mine)

    assert response.status_code == 200
    assert "Någon annan har sparat en nyare version" in response.content.decode()
    values = form_values(response)
    assert values["reasoning"] == "Min egen motivering."
    assert values["outcome"] == "more_information"
    assert PoliceAssessment.objects.filter(series=record.series).count() == 2


def test_pdf_is_a_real_document(unit_a, case, login):
    record = builders.police_assessment(unit_a, case, PoliceAssessment.Outcome.NOT_SUITABLE)
    response = login(unit_a.coordinator).get(pdf_url(case, record))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Polisens lämplighetsbedömning" in text
    assert "Inte lämplig" in text
    assert "hindrar inskrivning" in text
    assert "Bedömd utifrån belastningsregistret och samtal." in text
    assert unit_a.police.name in text
    assert case.number in text
    assert AccessLogEntry.objects.filter(
        case_id=case.pk, object_type="police_assessment", action="print"
    ).exists()


def test_police_partner_reads_with_a_criminality_consent(unit_a, case, login):
    record = builders.police_assessment(unit_a, case)
    client = login(unit_a.partner)
    for url in (list_url(case), detail_url(case, record), pdf_url(case, record)):
        assert client.get(url).status_code == 200, url


def test_school_partner_without_criminality_in_the_consent_gets_404(unit_a, case, login):
    record = builders.police_assessment(unit_a, case)
    builders.school_member(unit_a, case)
    builders.consent(unit_a, case, organisations=[unit_a.school], codes=("occupation",))
    client = login(builders.school_user(unit_a))
    assert client.get(f"/arenden/{case.pk}/").status_code == 200  # sees the case itself
    for url in (
        list_url(case),
        detail_url(case, record),
        pdf_url(case, record),
        create_url(case),
        edit_url(case, record),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(create_url(case), valid_data()).status_code == 404
    assert PoliceAssessment.objects.count() == 1


def test_school_partner_with_criminality_consent_reads_but_may_not_record(unit_a, case, login):
    builders.school_member(unit_a, case)
    builders.consent(unit_a, case, organisations=[unit_a.school], codes=("criminality",))
    client = login(builders.school_user(unit_a))
    page = client.get(list_url(case)).content.decode()
    assert NOTE in page
    assert client.post(create_url(case), valid_data()).status_code == 404
    assert not PoliceAssessment.objects.exists()


def test_revoked_consent_ends_access(unit_a, case, login):
    record = builders.police_assessment(unit_a, case)
    given = Consent.objects.get(case=case)
    consent_services.consent_revoke(
        consent=given, by=unit_a.coordinator, revoked_on=timezone.localdate(), how="Muntligt."
    )
    client = login(unit_a.partner)
    for url in (list_url(case), detail_url(case, record), pdf_url(case, record)):
        assert client.get(url).status_code == 404, url
    assert client.post(edit_url(case, record), valid_data()).status_code == 404
    assert PoliceAssessment.objects.count() == 1


def test_other_unit_gets_404(unit_a, unit_b, case, login):
    record = builders.police_assessment(unit_a, case)
    for user in (unit_b.supervisor, unit_b.coordinator, unit_b.partner):
        client = login(user)
        for url in (list_url(case), detail_url(case, record), pdf_url(case, record)):
            assert client.get(url).status_code == 404, url
        assert client.post(create_url(case), valid_data()).status_code == 404


def test_a_record_of_another_case_is_not_found(unit_a, case, login):
    other = builders.identified_case(unit_a)
    builders.police_member(unit_a, other)
    builders.consent(unit_a, other)
    foreign = builders.police_assessment(unit_a, other)
    mine = builders.police_assessment(unit_a, case)
    client = login(unit_a.coordinator)
    assert client.get(detail_url(case, foreign)).status_code == 404
    assert client.get(detail_url(case, mine) + f"?version={foreign.pk}").status_code == 404
    assert client.get(detail_url(case, mine) + "?version=x").status_code == 404


def test_closed_case_is_read_only(unit_a, case, login):
    record = builders.police_assessment(unit_a, case)
    case_services.case_transition(
        case=case, to_state=State.WITHDRAWN, by=unit_a.coordinator, reason="Avstår."
    )
    # The police member's ground ended with the case (its consent ended at closing).
    client = login(unit_a.partner)
    assert client.get(list_url(case)).status_code == 404
    assert client.post(create_url(case), valid_data()).status_code == 404
    assert client.post(edit_url(case, record), valid_data()).status_code == 404
    assert PoliceAssessment.objects.count() == 1
    # The unit's staff still read it, and are told why nothing can be recorded.
    page = login(unit_a.coordinator).get(list_url(case)).content.decode()
    assert "Ärendet är avslutat och kan inte ändras." in page
    assert create_url(case) not in page


def test_list_and_detail_run_a_fixed_number_of_queries(
    unit_a, case, login, django_assert_max_num_queries
):
    client = login(unit_a.coordinator)
    record = builders.police_assessment(unit_a, case)
    with CaptureQueriesContext(connection) as few:
        client.get(list_url(case))
    for outcome in ["suitable", "not_suitable", "more_information"] * 3:
        latest = builders.police_assessment(unit_a, case, outcome)
    for _ in range(3):
        record = inv.police_assessment_save(
            case=case,
            by=unit_a.partner,
            outcome=record.outcome,
            reasoning=record.reasoning + " Uppdaterad.",
            assessed_on=record.assessed_on,
            previous=record,
        )
    with CaptureQueriesContext(connection) as many:
        client.get(list_url(case))
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    with django_assert_max_num_queries(20):
        assert client.get(list_url(case)).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(detail_url(case, latest)).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(detail_url(case, record)).status_code == 200
