"""The structured risk assessment pages, through real HTTP: create, edit, versions, the list side
by side, the PDF, who may see them (social-services staff only) and the age warning."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from insats.access.models import AccessLogEntry
from insats.consent import services as consent_services
from insats.risk import defaults, services
from insats.risk.models import RiskAssessment, RiskInstrument, RiskItem
from tests.builders import consent, identified_case, police_member, school_member, school_user
from tests.conftest import FormReader

REASONS = "Tidig debut och kamrater i kriminalitet, men stöd från tränaren."


def savry() -> RiskInstrument:
    return RiskInstrument.objects.get(unit=None, name=defaults.SAVRY_NAME)


def index_of(code: str, instrument=None) -> int:
    codes = list((instrument or savry()).items.values_list("code", flat=True))
    return codes.index(code)


def form_values(response) -> dict:
    reader = FormReader()
    reader.feed(response.content.decode())
    reader.values.pop("csrfmiddlewaretoken", None)
    reader.values.pop("language", None)
    reader.values.pop("next", None)
    # A browser drops the newline Django writes after <textarea>.
    return {k: [v.removeprefix("\n") for v in vs] for k, vs in reader.values.items()}


def filled(client, url, **changes) -> dict:
    """What the form at `url` would submit, with `changes` (rating codes as `H1=...`)."""
    response = client.get(url)
    assert response.status_code == 200
    data = form_values(response)
    for key, value in changes.items():
        if key in {"summary", "summary_reasons", "note", "assessed_on"} or key.startswith("extra-"):
            data[key] = [value]
        elif key.endswith("_critical"):
            data[f"rating-{index_of(key.removesuffix('_critical'))}-critical"] = ["on"]
        else:
            data[f"rating-{index_of(key)}-level"] = [value]
    return data


def create(client, case, **changes):
    url = reverse("risk_create", args=[case.pk])
    changes.setdefault("summary", "Måttlig")
    changes.setdefault("summary_reasons", REASONS)
    return client.post(url, filled(client, url, **changes))


@pytest.fixture
def case(unit_a):
    return identified_case(unit_a, age=16)


# --- Create, detail, edit ---------------------------------------------------------------------


def test_staff_create_an_assessment(unit_a, case, login):
    client = login(unit_a.investigator)
    response = client.get(reverse("risk_create", args=[case.pk]))
    body = response.content.decode()
    assert "H1 History of violence" in body
    assert "<legend>Historical</legend>" in body  # items grouped by domain
    response = create(
        client,
        case,
        H1="Hög",
        H1_critical=True,
        K1="Måttlig",
        P1="Finns",
        **{"extra-0-description": "Skuld till äldre kamrat", "extra-0-level": "Hög"},
    )
    assessment = RiskAssessment.objects.get(case=case)
    assert response.status_code == 302
    assert response.url == reverse("risk_detail", args=[case.pk, assessment.pk])
    assert assessment.summary == "Måttlig"
    assert assessment.summary_reasons == REASONS
    assert {(r.item.code, r.level, r.critical) for r in assessment.ratings.all()} == {
        ("H1", "Hög", True),
        ("K1", "Måttlig", False),
        ("P1", "Finns", False),
    }
    assert [f.description for f in assessment.extra_factors.all()] == ["Skuld till äldre kamrat"]

    detail = client.get(response.url)
    body = detail.content.decode()
    assert detail.status_code == 200
    assert case.alias in body
    assert REASONS in body
    assert "Skuld till äldre kamrat" in body
    assert reverse("risk_edit", args=[case.pk, assessment.pk]) in body


def test_summary_is_stored_as_chosen_even_when_every_item_is_high(unit_a, case, login):
    client = login(unit_a.coordinator)
    items = savry().items.all()
    levels = {item.code: ("Saknas" if item.protective else "Hög") for item in items}
    response = create(client, case, summary="Låg", **levels)
    assert response.status_code == 302
    assessment = RiskAssessment.objects.get(case=case)
    assert assessment.summary == "Låg"
    assert assessment.ratings.filter(level="Hög").count() == 24

    levels = {item.code: ("Finns" if item.protective else "Låg") for item in items}
    create(client, case, summary="Hög", **levels)
    assert RiskAssessment.objects.filter(case=case, summary="Hög").count() == 1


def test_validation_messages_are_swedish_and_keep_the_input(unit_a, case, login):
    client = login(unit_a.investigator)
    url = reverse("risk_create", args=[case.pk])
    data = filled(client, url, H1="Hög", note="Mina anteckningar", summary_reasons="")
    data["assessed_on"] = [(timezone.localdate() + timedelta(days=3)).isoformat()]
    response = client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Välj en sammanfattande riskbedömning." in body
    assert "Skriv skälen för den sammanfattande bedömningen." in body
    assert not RiskAssessment.objects.exists()
    kept = form_values(response)
    assert kept["note"] == ["Mina anteckningar"]
    assert kept[f"rating-{index_of('H1')}-level"] == ["Hög"]

    data = filled(client, url, summary="Låg", summary_reasons=REASONS)
    data["assessed_on"] = [(timezone.localdate() + timedelta(days=3)).isoformat()]
    response = client.post(url, data)
    assert "Datumet kan inte ligga i framtiden." in response.content.decode()
    assert form_values(response)["summary_reasons"] == [REASONS]

    # A post without the formsets' bookkeeping is refused with a message, not a crash.
    response = client.post(url, {"summary": "Låg", "summary_reasons": REASONS})
    assert response.status_code == 200
    assert not RiskAssessment.objects.exists()


def test_level_outside_the_scale_is_refused(unit_a, case, login):
    client = login(unit_a.investigator)
    response = create(client, case, H1="Finns", P1="Hög", summary="Låg")
    body = response.content.decode()
    assert response.status_code == 200
    assert "H1: Välj en nivå ur faktorns skala." in body
    assert "P1: Välj en nivå ur faktorns skala." in body
    assert form_values(response)["summary_reasons"] == [REASONS]
    response = create(client, case, summary="Extrem")
    assert "Välj en sammanfattande riskbedömning ur skalan." in response.content.decode()
    assert not RiskAssessment.objects.exists()


def test_partly_filled_extra_factor_row_is_refused_and_blank_rows_ignored(unit_a, case, login):
    client = login(unit_a.investigator)
    response = create(client, case, **{"extra-1-level": "Hög", "extra-1-critical": "on"})
    assert response.status_code == 200
    assert "Beskriv faktorn, eller töm hela raden." in response.content.decode()
    protective = {"extra-1-kind": "protective", "extra-1-description": "Fotbollen"}
    response = create(client, case, **protective, **{"extra-1-level": "Hög"})
    assert "Välj en nivå ur skalan för en skyddsfaktor: Finns, Saknas." in (
        response.content.decode()
    )
    response = create(client, case, **protective, **{"extra-1-level": "Finns"})
    assert response.status_code == 302
    factor = RiskAssessment.objects.get().extra_factors.get()
    assert (factor.description, factor.protective, factor.level) == ("Fotbollen", True, "Finns")


def test_edit_makes_a_new_version_and_the_old_one_stays_readable(unit_a, case, login):
    client = login(unit_a.investigator)
    create(client, case, H1="Måttlig", summary="Måttlig")
    first = RiskAssessment.objects.get()
    edit_url = reverse("risk_edit", args=[case.pk, first.pk])
    data = filled(client, edit_url, H1="Hög", summary="Hög", summary_reasons="Nytt våld i mars.")
    assert data[f"rating-{index_of('H1')}-level"] == ["Hög"]
    response = client.post(edit_url, data)
    second = RiskAssessment.objects.get(superseded_at__isnull=True)
    assert response.status_code == 302
    assert (second.version, second.series, second.summary) == (2, first.series, "Hög")
    assert second.ratings.get(item__code="H1").level == "Hög"

    detail = reverse("risk_detail", args=[case.pk, second.pk])
    old = client.get(detail, {"version": first.pk})
    body = old.content.decode()
    assert old.status_code == 200
    assert REASONS in body and "Nytt våld i mars." not in body
    assert "har ersatts av en nyare" in body
    # An old edit link leads to the current version's edit page.
    response = client.get(edit_url)
    assert response.status_code == 302
    assert response.url == reverse("risk_edit", args=[case.pk, second.pk])
    # A version of another series is not shown through this one.
    other = RiskAssessment.objects.create(
        case=case,
        instrument=savry(),
        assessed_on=timezone.localdate(),
        summary="Låg",
        summary_reasons="x",
        recorded_by=unit_a.investigator,
    )
    assert client.get(detail, {"version": other.pk}).status_code == 404
    assert client.get(detail, {"version": "x"}).status_code == 404


def test_conflicting_edits_keep_the_second_users_input(unit_a, case, login):
    client = login(unit_a.investigator)
    create(client, case)
    first = RiskAssessment.objects.get()
    url = reverse("risk_edit", args=[case.pk, first.pk])
    mine = filled(client, url, summary="Hög", summary_reasons="Min text")
    client = login(unit_a.coordinator)
    theirs = filled(client, url, summary="Låg", summary_reasons="Lotsens text")
    assert client.post(url, theirs).status_code == 302

    client = login(unit_a.investigator)
    response = client.post(url, mine)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Någon annan har sparat en nyare version" in body
    assert form_values(response)["summary_reasons"] == ["Min text"]
    assert RiskAssessment.objects.filter(series=first.series).count() == 2


def test_form_and_detail_show_the_previous_assessment(unit_a, case, login):
    client = login(unit_a.investigator)
    create(client, case, H1="Hög", H1_critical=True, summary="Hög")
    earlier = RiskAssessment.objects.get()
    body = client.get(reverse("risk_create", args=[case.pk])).content.decode()
    assert "Föregående bedömning: Hög, kritisk" in body
    assert "Föregående bedömning: ej skattad" in body
    create(client, case, H1="Låg", summary="Låg")
    later = RiskAssessment.objects.exclude(pk=earlier.pk).get()
    body = client.get(reverse("risk_detail", args=[case.pk, later.pk])).content.decode()
    assert reverse("risk_detail", args=[case.pk, earlier.pk]) in body
    assert "Föregående bedömning (" in body


# --- Instruments and the age warning ---------------------------------------------------------


def test_age_warning_for_a_20_year_old_not_for_a_16_year_old(unit_a, case, login):
    client = login(unit_a.investigator)
    adult = identified_case(unit_a, age=20)
    response = client.get(reverse("risk_create", args=[adult.pk]))
    assert "Personen är 20 år. Instrumentet är utformat för 12–18 år" in response.content.decode()
    create(client, adult)
    assessment = RiskAssessment.objects.get(case=adult)
    body = client.get(reverse("risk_detail", args=[adult.pk, assessment.pk])).content.decode()
    assert "Personen är 20 år" in body

    response = client.get(reverse("risk_create", args=[case.pk]))
    assert "Instrumentet är utformat för" not in response.content.decode()
    create(client, case)
    assessment = RiskAssessment.objects.get(case=case)
    body = client.get(reverse("risk_detail", args=[case.pk, assessment.pk])).content.decode()
    assert "Instrumentet är utformat för" not in body


def test_unidentified_case_uses_the_age_at_intake(unit_a, login):
    anonymous = unit_a.case(age=22)
    client = login(unit_a.coordinator)
    response = client.get(reverse("risk_create", args=[anonymous.pk]))
    assert "Personen är 22 år" in response.content.decode()


def test_choose_among_several_instruments(unit_a, unit_b, case, login):
    own = RiskInstrument.objects.create(
        unit=unit_a.unit, name="Enhetens egna", age_min=15, age_max=29, summary_levels="Låg\nHög"
    )
    RiskItem.objects.create(instrument=own, domain="Eget", code="E1", title="Egen faktor")
    theirs = RiskInstrument.objects.create(unit=unit_b.unit, name="B:s", age_min=12, age_max=29)
    client = login(unit_a.investigator)
    url = reverse("risk_create", args=[case.pk])
    body = client.get(url).content.decode()
    assert f"?instrument={own.pk}" in body
    assert f"?instrument={savry().pk}" in body
    assert "B:s" not in body
    assert client.get(url, {"instrument": theirs.pk}).status_code == 404
    assert client.get(url, {"instrument": "x"}).status_code == 404

    chosen = f"{url}?instrument={own.pk}"
    data = filled(client, chosen, summary="Hög", summary_reasons=REASONS)
    data["rating-0-level"] = ["Hög"]
    response = client.post(chosen, data)
    assert response.status_code == 302
    assessment = RiskAssessment.objects.get()
    assert assessment.instrument == own
    assert assessment.ratings.get().item.code == "E1"


# --- The list ---------------------------------------------------------------------------------


def test_list_shows_assessments_side_by_side(unit_a, case, login):
    client = login(unit_a.investigator)
    url = reverse("risk_list", args=[case.pk])
    body = client.get(url).content.decode()
    assert "Ingen strukturerad riskbedömning är gjord ännu." in body
    assert reverse("risk_create", args=[case.pk]) in body

    create(client, case, H1="Måttlig", summary="Måttlig")
    create(client, case, H1="Hög", H1_critical=True, summary="Hög")
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ingen strukturerad riskbedömning" not in body
    table = response.context["tables"][0]
    assert [a.summary for a in table["assessments"]] == ["Måttlig", "Hög"]
    historical = dict(table["domains"])["Historical"]
    h1, cells = historical[0]
    assert h1.code == "H1"
    assert [(c.level, c.critical) for c in cells] == [("Måttlig", False), ("Hög", True)]
    assert "Kritisk" in body


def test_list_query_count_does_not_grow(unit_a, case, login, django_assert_max_num_queries):
    client = login(unit_a.investigator)
    url = reverse("risk_list", args=[case.pk])
    levels = {item.code: "Hög" for item in savry().items.filter(protective=False)}
    create(client, case, **levels, **{"extra-0-description": "Extra"})

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    one = count()
    for _ in range(3):
        create(client, case, **levels, **{"extra-0-description": "Extra"})
    assert RiskAssessment.objects.filter(case=case).count() == 4
    assert count() == one
    with django_assert_max_num_queries(one):
        client.get(url)
    detail = reverse("risk_detail", args=[case.pk, RiskAssessment.objects.first().pk])
    with django_assert_max_num_queries(20):
        client.get(detail)


# --- The PDF ----------------------------------------------------------------------------------


def test_pdf_can_be_read_back(unit_a, case, login):
    client = login(unit_a.investigator)
    create(client, case, H1="Hög", summary="Hög", **{"extra-0-description": "Skulden"})
    assessment = RiskAssessment.objects.get()
    response = client.get(reverse("risk_pdf", args=[case.pk, assessment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    for code in ("H1", "H10", "K6", "I8", "P6"):
        assert code in text
    assert "Hög" in text
    assert "Tidig debut och kamrater" in text
    assert "Skulden" in text
    assert AccessLogEntry.objects.filter(
        object_type="risk", case_id=case.pk, action="print"
    ).exists()


# --- Who may see and write --------------------------------------------------------------------


def risk_urls(case, assessment) -> list[str]:
    return [
        reverse("risk_list", args=[case.pk]),
        reverse("risk_create", args=[case.pk]),
        reverse("risk_detail", args=[case.pk, assessment.pk]),
        reverse("risk_edit", args=[case.pk, assessment.pk]),
        reverse("risk_pdf", args=[case.pk, assessment.pk]),
    ]


def test_partners_get_404_even_with_a_criminality_consent(unit_a, login):
    case = identified_case(unit_a, age=19)  # adult: the consent needs no guardians
    police_member(unit_a, case)
    school_member(unit_a, case)
    consent(unit_a, case, organisations=[unit_a.police, unit_a.school])
    client = login(unit_a.coordinator)
    create(client, case)
    assessment = RiskAssessment.objects.get()
    # The police partner sees the case itself, but not this section.
    client = login(unit_a.partner)
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 200
    for url in risk_urls(case, assessment):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"summary": "Låg"}).status_code == 404, url
    client = login(school_user(unit_a))
    for url in risk_urls(case, assessment):
        assert client.get(url).status_code == 404, url
    assert AccessLogEntry.objects.filter(
        object_type="risk", case_id=case.pk, action="denied"
    ).exists()


def test_revoked_consent_and_other_units_get_404(unit_a, unit_b, login):
    case = identified_case(unit_a, age=19)
    police_member(unit_a, case)
    given = consent(unit_a, case)
    client = login(unit_a.coordinator)
    create(client, case)
    assessment = RiskAssessment.objects.get()
    consent_services.consent_revoke(
        consent=given, by=unit_a.coordinator, revoked_on=timezone.localdate(), how="Muntligt"
    )
    for user in (unit_a.partner, unit_b.coordinator, unit_b.supervisor, unit_a.leadership):
        client = login(user)
        for url in risk_urls(case, assessment):
            assert client.get(url).status_code == 404, (user, url)


def test_closed_case_is_read_only(unit_a, case, login):
    client = login(unit_a.coordinator)
    create(client, case)
    assessment = RiskAssessment.objects.get()
    case.state = "discharged"
    case.save()
    list_body = client.get(reverse("risk_list", args=[case.pk])).content.decode()
    assert reverse("risk_create", args=[case.pk]) not in list_body
    detail = client.get(reverse("risk_detail", args=[case.pk, assessment.pk]))
    assert detail.status_code == 200
    assert reverse("risk_edit", args=[case.pk, assessment.pk]) not in detail.content.decode()
    assert client.get(reverse("risk_create", args=[case.pk])).status_code == 404
    edit = reverse("risk_edit", args=[case.pk, assessment.pk])
    assert client.post(edit, {"summary": "Hög"}).status_code == 404
    assert RiskAssessment.objects.count() == 1


def test_access_is_logged(unit_a, case, login):
    client = login(unit_a.investigator)
    client.get(reverse("risk_list", args=[case.pk]))
    create(client, case)
    assessment = RiskAssessment.objects.get()
    client.get(reverse("risk_detail", args=[case.pk, assessment.pk]))
    entries = AccessLogEntry.objects.filter(object_type="risk", case_id=case.pk)
    assert {"view", "create"} <= set(entries.values_list("action", flat=True))
    assert entries.filter(action="create", object_id=str(assessment.pk)).exists()


def test_wrong_case_in_the_url_is_404_and_not_logged(unit_a, case, login):
    client = login(unit_a.investigator)
    create(client, case)
    assessment = RiskAssessment.objects.get()
    other = identified_case(unit_a, age=17)
    before = AccessLogEntry.objects.count()
    assert client.get(reverse("risk_detail", args=[other.pk, assessment.pk])).status_code == 404
    assert client.get(reverse("risk_detail", args=[case.pk, 999999])).status_code == 404
    assert AccessLogEntry.objects.count() == before


# --- Admin ------------------------------------------------------------------------------------


def test_administrators_configure_instruments_in_the_admin(unit_a, client):
    from django.contrib import admin

    assert RiskInstrument in admin.site._registry
    assert RiskAssessment not in admin.site._registry
    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-123456789")
    client.force_login(root)
    instrument = savry()
    response = client.get(reverse("admin:risk_riskinstrument_change", args=[instrument.pk]))
    assert response.status_code == 200
    assert "History of violence" in response.content.decode()
    changelist = client.get(reverse("admin:risk_riskinstrument_changelist"))
    assert changelist.status_code == 200
    # Case staff without admin access are sent to the admin login.
    client.force_login(unit_a.coordinator)
    response = client.get(reverse("admin:risk_riskinstrument_changelist"))
    assert response.status_code == 302
    assert services.instruments_for(unit_a.unit).count() == 1
