"""The inventory is cut to the reader's decision before any template sees it.

A partner whose consent covers only some categories gets only those life areas' rows — on the
page, in the overview and in the PDF — and never the notes, motivation or priorities; the
unit's staff get everything. The selector is tested on its own too, so that a template that
forgot to hide something could not pass these tests by accident.
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from insats.access import policy
from insats.investigation import selectors
from insats.investigation import services as inv
from tests import builders
from tests.investigation.test_inventory_access import pdf_text

ALL_AREAS = [
    "Boende",
    "Ekonomi",
    "Familj",
    "Fysisk hälsa",
    "Kriminalitet",
    "Nätverk/vänner",
    "Psykisk hälsa",
]
HOUSING_ONLY = ["Boende"]


def row_headers(page: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]+)</th>', page)


@pytest.fixture
def housing_only(unit_a):
    """A case whose police partner's consent covers housing and nothing else."""
    case = builders.identified_case(unit_a)
    builders.police_member(unit_a, case)
    builders.consent(unit_a, case, codes=("housing",))
    areas = list(inv.unit_life_areas(case))
    record = inv.inventory_save(
        case=case,
        by=unit_a.investigator,
        assessed_on=timezone.localdate(),
        ratings=[
            {
                "life_area": a,
                "own_rating": 2,
                "staff_rating": 4,
                "wants_change": True,
                "note": f"Anteckning om {a.code}",
            }
            for a in areas
        ],
        motivation=4,
        motivation_note="Hemlig motivering",
        priorities=[a for a in areas if a.code in ("housing", "criminality")],
        completed=True,
    )
    return case, record


def detail_url(case, record):
    return reverse("inventory_detail", args=[case.pk, record.pk])


def pdf_url(case, record):
    return reverse("inventory_pdf", args=[case.pk, record.pk])


# --- the selector itself -----------------------------------------------------------------------


def test_the_selector_keeps_only_the_covered_rows_for_a_partner(unit_a, housing_only):
    case, record = housing_only
    decision = policy.decide_section(unit_a.partner, case, policy.Section.INVENTORY)
    assert decision and not decision.full

    shown = selectors.inventory_for(case, record.pk, decision)

    assert [str(row.life_area) for row in shown.ratings] == HOUSING_ONLY
    assert all(row.note is None for row in shown.ratings)
    assert shown.staff is None and shown.partial and not shown.shows_notes
    assert not hasattr(shown, "motivation_note")  # the stored inventory does not come along


def test_the_selector_gives_staff_every_row_and_the_staff_part(unit_a, housing_only):
    case, record = housing_only
    decision = policy.decide_section(unit_a.coordinator, case, policy.Section.INVENTORY)
    assert decision.full

    shown = selectors.inventory_for(case, record.pk, decision)

    shown_areas = [str(row.life_area) for row in shown.ratings]
    assert shown_areas == [str(r.life_area) for r in record.ratings.all()]
    assert set(ALL_AREAS) <= set(shown_areas)
    assert "Anteckning om housing" in [row.note for row in shown.ratings]
    assert shown.staff.motivation_note == "Hemlig motivering"
    assert [a.code for a in shown.staff.priorities] == ["housing", "criminality"]


def test_the_overview_selector_cuts_rows_and_staff_rows_for_a_partner(unit_a, housing_only):
    case, _record = housing_only
    partner = policy.decide_section(unit_a.partner, case, policy.Section.INVENTORY)
    staff = policy.decide_section(unit_a.coordinator, case, policy.Section.INVENTORY)

    cut = selectors.overview(case, partner)
    whole = selectors.overview(case, staff)

    assert [str(row.area) for row in cut.rows] == HOUSING_ONLY
    assert cut.motivations is None and cut.priorities is None
    assert all(cell.rating.note is None for row in cut.rows for cell in row.cells)
    assert set(ALL_AREAS) <= {str(row.area) for row in whole.rows}
    assert whole.motivations == ["4 – God"]
    assert [[a.code for a in areas] for areas in whole.priorities] == [["housing", "criminality"]]


# --- the pages and the PDF ---------------------------------------------------------------------


def test_a_partner_sees_only_the_covered_row_on_the_page(unit_a, housing_only, login):
    case, record = housing_only

    page = login(unit_a.partner).get(detail_url(case, record)).content.decode()

    assert row_headers(page) == HOUSING_ONLY
    for label in ALL_AREAS:
        if label not in HOUSING_ONLY:
            assert f">{label}<" not in page, label
    assert "Anteckning om" not in page and "Hemlig motivering" not in page


def test_a_partner_sees_only_the_covered_row_in_the_overview(unit_a, housing_only, login):
    case, _record = housing_only

    page = login(unit_a.partner).get(reverse("inventory_list", args=[case.pk])).content.decode()

    assert row_headers(page) == HOUSING_ONLY


def test_a_partner_prints_only_the_covered_row(unit_a, housing_only, login):
    case, record = housing_only

    response = login(unit_a.partner).get(pdf_url(case, record))

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Boende" in text
    for label in ALL_AREAS:
        if label not in HOUSING_ONLY:
            assert label not in text, label
    assert "Hemlig motivering" not in text and "Anteckning om" not in text


def test_staff_see_every_row_on_the_page_and_in_the_pdf(unit_a, housing_only, login):
    case, record = housing_only
    client = login(unit_a.coordinator)

    page = client.get(detail_url(case, record)).content.decode()
    text = pdf_text(client.get(pdf_url(case, record)).content)

    assert set(ALL_AREAS) <= set(row_headers(page))
    assert "Anteckning om housing" in page and "Hemlig motivering" in page
    for label in ALL_AREAS:
        assert label in text, label
    assert "Anteckning om criminality" in text and "Hemlig motivering" in text
