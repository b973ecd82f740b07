"""Who may see and write the inventory: staff of the unit, partners row by row, nobody else.

A partner member reads the inventory while a consent covers any category, and then only the
life areas whose category the consent covers; motivation, notes and priorities are the social
services' own. Partners never write. Other units, revoked consents and closed cases get 404.
"""

import re
from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from insats.access.models import AccessLogEntry
from insats.cases import services as case_services
from insats.cases.lifecycle import State
from insats.consent import services as consent_services
from insats.investigation import services as inv
from insats.organisations.models import LifeArea
from tests import builders

SEEN_BY_POLICE = ["Kriminalitet", "Fysisk hälsa", "Psykisk hälsa"]
NOT_SEEN_BY_POLICE = ["Boende", "Ekonomi", "Familj", "Nätverk/vänner", "Övrigt"]


def inventory(world, case, *, previous=None):
    areas = list(inv.unit_life_areas(case))
    return inv.inventory_save(
        case=case,
        by=world.investigator,
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
        previous=previous,
    )


@pytest.fixture
def shared(unit_a):
    """A case with a police partner in the group and consent for criminality and health."""
    case = builders.identified_case(unit_a)
    builders.police_member(unit_a, case)
    consent = builders.consent(unit_a, case, codes=("criminality", "health"))
    record = inventory(unit_a, case)
    return case, record, consent


def urls(case, record) -> dict[str, str]:
    return {
        "list": reverse("inventory_list", args=[case.pk]),
        "create": reverse("inventory_create", args=[case.pk]),
        "detail": reverse("inventory_detail", args=[case.pk, record.pk]),
        "edit": reverse("inventory_edit", args=[case.pk, record.pk]),
        "pdf": reverse("inventory_pdf", args=[case.pk, record.pk]),
    }


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    return text.replace("/ ", "/")


def row_headers(page: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]+)</th>', page)


# --- partners ---------------------------------------------------------------------------------


def test_the_life_areas_map_to_consent_categories(unit_a):
    codes = dict(LifeArea.objects.filter(unit=unit_a.unit).values_list("code", "category_code"))
    assert codes["physical_health"] == codes["mental_health"] == "health"
    assert codes["criminality"] == "criminality" and codes["housing"] == "housing"


def test_a_police_partner_sees_only_the_covered_rows_of_the_overview(unit_a, shared, login):
    case, record, _ = shared
    client = login(unit_a.partner)

    response = client.get(urls(case, record)["list"])

    assert response.status_code == 200
    page = response.content.decode()
    assert sorted(row_headers(page)) == sorted(SEEN_BY_POLICE)
    for label in NOT_SEEN_BY_POLICE:
        assert f">{label}<" not in page
    assert "Motivation</th>" not in page and "Prioriterade områden</th>" not in page
    assert "4 – God" not in page
    assert urls(case, record)["create"] not in page
    assert urls(case, record)["detail"] in page
    entry = AccessLogEntry.objects.filter(
        case_id=case.pk, object_type="inventory", user=unit_a.partner, action="view"
    ).get()
    assert entry.category == "criminality,health"


def test_a_police_partner_sees_only_the_covered_rows_of_one_inventory(unit_a, shared, login):
    case, record, _ = shared
    client = login(unit_a.partner)

    page = client.get(urls(case, record)["detail"]).content.decode()

    assert sorted(row_headers(page)) == sorted(SEEN_BY_POLICE)
    assert "Anteckning om criminality" not in page  # notes are staff-only
    assert "Hemlig motivering" not in page and "4 – God" not in page
    assert "Prioriterade områden" not in page
    assert urls(case, record)["edit"] not in page
    assert "2 – Dåligt" in page and "4 – Bra" in page


def test_a_police_partner_prints_only_the_covered_rows(unit_a, shared, login):
    case, record, _ = shared

    response = login(unit_a.partner).get(urls(case, record)["pdf"])

    assert response.status_code == 200
    text = pdf_text(response.content)
    for label in SEEN_BY_POLICE:
        assert label in text
    for label in ["Boende", "Ekonomi", "Hemlig motivering", "Anteckning om"]:
        assert label not in text


def test_partners_never_write(unit_a, shared, login):
    case, record, _ = shared
    client = login(unit_a.partner)
    links = urls(case, record)

    assert client.get(links["create"]).status_code == 404
    assert client.get(links["edit"]).status_code == 404
    assert client.post(links["create"], {"assessed_on": "2025-01-01"}).status_code == 404
    assert client.post(links["edit"], {"assessed_on": "2025-01-01"}).status_code == 404
    assert AccessLogEntry.objects.filter(
        case_id=case.pk, object_type="inventory", user=unit_a.partner, action="denied"
    ).exists()


def test_an_empty_overview_offers_a_partner_no_create_link(unit_a, login):
    case = builders.identified_case(unit_a)
    builders.police_member(unit_a, case)
    builders.consent(unit_a, case, codes=("criminality",))

    page = login(unit_a.partner).get(reverse("inventory_list", args=[case.pk])).content.decode()

    assert "Ingen behovs- och resursinventering är gjord." in page
    assert reverse("inventory_create", args=[case.pk]) not in page


def test_a_school_partner_outside_the_consent_gets_404(unit_a, shared, login):
    case, record, _ = shared
    builders.school_member(unit_a, case)
    client = login(builders.school_user(unit_a))

    for url in urls(case, record).values():
        assert client.get(url).status_code == 404, url


def test_a_revoked_consent_ends_partner_access(unit_a, shared, login):
    case, record, consent = shared
    client = login(unit_a.partner)
    assert client.get(urls(case, record)["list"]).status_code == 200

    consent_services.consent_revoke(
        consent=consent, by=unit_a.coordinator, revoked_on=timezone.localdate(), how="Muntligt"
    )

    for name in ("list", "detail", "pdf"):
        assert client.get(urls(case, record)[name]).status_code == 404, name


# --- staff of other units, closed cases, roles without case content --------------------------


def test_another_units_staff_get_404_everywhere(unit_a, unit_b, shared, login):
    case, record, _ = shared
    for user in (unit_b.coordinator, unit_b.supervisor, unit_b.partner):
        client = login(user)
        for name, url in urls(case, record).items():
            assert client.get(url).status_code == 404, (user, name)
        assert client.post(urls(case, record)["create"], {}).status_code == 404


def test_roles_without_case_content_get_404(unit_a, shared, login):
    case, record, _ = shared
    for user in (unit_a.leadership, unit_a.analyst, unit_a.administrator):
        client = login(user)
        for name, url in urls(case, record).items():
            assert client.get(url).status_code == 404, (user, name)


def test_every_staff_role_reads_and_writes(unit_a, shared, login):
    case, record, _ = shared
    for user in (unit_a.coordinator, unit_a.investigator, unit_a.supervisor):
        client = login(user)
        page = client.get(urls(case, record)["detail"]).content.decode()
        assert "Hemlig motivering" in page and "Anteckning om housing" in page
        assert urls(case, record)["edit"] in page
        assert client.get(urls(case, record)["create"]).status_code == 200


def test_a_closed_case_is_read_only(unit_a, shared, login):
    case, record, _ = shared
    case_services.case_transition(
        case=case, to_state=State.WITHDRAWN, by=unit_a.coordinator, reason="Avstår."
    )
    client = login(unit_a.coordinator)
    links = urls(case, record)

    overview = client.get(links["list"])
    detail = client.get(links["detail"])

    assert overview.status_code == detail.status_code == 200
    assert links["create"] not in overview.content.decode()
    assert links["edit"] not in detail.content.decode()
    assert client.get(links["create"]).status_code == 404
    assert client.get(links["edit"]).status_code == 404
    assert client.post(links["edit"], {}).status_code == 404


def test_reading_writes_the_access_log(unit_a, shared, login):
    case, record, _ = shared
    client = login(unit_a.supervisor)
    before = AccessLogEntry.objects.count()

    client.get(urls(case, record)["list"])
    client.get(urls(case, record)["detail"])
    client.get(urls(case, record)["pdf"])

    entries = list(
        AccessLogEntry.objects.order_by("pk")[before:].values_list("action", "object_type")
    )
    assert entries == [("view", "inventory"), ("view", "inventory"), ("print", "inventory")]


def test_a_wrong_record_id_leaves_no_case_access_in_the_log(unit_a, shared, login):
    case, record, _ = shared
    before = AccessLogEntry.objects.count()

    client = login(unit_a.coordinator)
    missing = reverse("inventory_detail", args=[case.pk, record.pk + 999])
    elsewhere = reverse("inventory_detail", args=[case.pk + 999, record.pk])
    assert client.get(missing).status_code == 404
    assert client.get(elsewhere).status_code == 404

    assert AccessLogEntry.objects.count() == before


def test_an_anonymous_visitor_is_sent_to_login(client, shared):
    case, record, _ = shared
    for url in urls(case, record).values():
        response = client.get(url)
        assert response.status_code == 302 and "/logga-in/" in response["Location"]


def test_an_expired_consent_ends_partner_access(unit_a, shared, login):
    case, record, consent = shared
    type(consent).objects.filter(pk=consent.pk).update(
        valid_from=timezone.localdate() - timedelta(days=30),
        valid_until=timezone.localdate() - timedelta(days=1),
    )

    assert login(unit_a.partner).get(urls(case, record)["list"]).status_code == 404
