"""The action plan as a PDF for the young person: area, goal, measure, who and when, written
plainly; partners get only the goals their consent covers; printing is logged."""

from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from insats.access.models import AccessLogEntry
from insats.cases.lifecycle import State
from insats.organisations.models import LifeArea
from insats.plans import services as plan_services
from insats.plans.models import PlanMeasure
from tests import builders


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(BytesIO(response.content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def case(unit_a):
    case = builders.enrollable_case(unit_a)
    builders.decide(unit_a, case, State.ASSIGNMENT)
    case.refresh_from_db()
    member = case.members.get(user=unit_a.partner, removed_at__isnull=True)
    due = timezone.localdate() + timedelta(days=20)
    plan_services.plan_save(
        case=case,
        by=unit_a.coordinator,
        based_on_revision=0,
        main_goal="Ett liv utan brott",
        commitments="Gå till skolan\nRinga Lotta varje fredag",
        next_follow_up_at=datetime(2031, 4, 2, 15, 0, tzinfo=ZoneInfo("Europe/Stockholm")),
        next_follow_up_place="Lindby fritidsgård",
        acute_contact="Lotta 070-123",
        goals=[
            {
                "id": None,
                "life_area": LifeArea.objects.get(unit=unit_a.unit, code="criminality"),
                "goal": "Inga nya brott",
                "target": "Ett halvår",
                "measured_by": "Polisen",
            },
            {
                "id": None,
                "life_area": LifeArea.objects.get(unit=unit_a.unit, code="housing"),
                "goal": "Eget boende",
                "target": "Kontrakt",
                "measured_by": "Kontraktet",
            },
        ],
        measures=[
            {
                "id": None,
                "goal": 0,
                "what": "Träffa kommunpolisen",
                "due_on": due,
                "responsible_member": member,
                "responsible_organisation": unit_a.police,
                "status": PlanMeasure.Status.PLANNED,
            },
            {
                "id": None,
                "goal": 1,
                "what": "Söka lägenhet",
                "due_on": due,
                "responsible_staff": unit_a.coordinator,
                "status": PlanMeasure.Status.PLANNED,
            },
        ],
    )
    return case


def test_staff_print_the_whole_plan(unit_a, case, login):
    response = login(unit_a.coordinator).get(reverse("plan_pdf", args=[case.pk]))
    text = pdf_text(response)
    for expected in (
        "Din handlingsplan",
        "Ditt mål",
        "Ett liv utan brott",
        "Kriminalitet",
        "Inga nya brott",
        "Träffa kommunpolisen",
        "Alfa-polis Testsson",
        "Boende",
        "Eget boende",
        "Söka lägenhet",
        "Alfa-lots Testsson",
        "Det här gör du själv",
        "Ringa Lotta varje fredag",
        "2031-04-02 klockan 15:00, Lindby fritidsgård",
        "Om det blir akut",
        "Lotta 070-123",
    ):
        assert expected in text, expected
    assert case.number not in text  # no internal codes
    assert AccessLogEntry.objects.filter(
        object_type="plan", action="print", case_id=case.pk, user=unit_a.coordinator
    ).exists()


def test_partner_prints_only_their_goals(unit_a, case, login):
    response = login(unit_a.partner).get(reverse("plan_pdf", args=[case.pk]))
    text = pdf_text(response)
    assert "Inga nya brott" in text and "Träffa kommunpolisen" in text
    assert "Eget boende" not in text and "Söka lägenhet" not in text
    assert AccessLogEntry.objects.filter(
        object_type="plan", action="print", case_id=case.pk, user=unit_a.partner
    ).exists()


def test_no_pdf_without_access_or_plan(unit_a, unit_b, case, login):
    assert login(unit_b.coordinator).get(reverse("plan_pdf", args=[case.pk])).status_code == 404
    other = builders.enrollable_case(unit_a)
    assert login(unit_a.coordinator).get(reverse("plan_pdf", args=[other.pk])).status_code == 404
