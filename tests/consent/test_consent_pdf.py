"""The printable consent (SPEC §5, §7): the recorded consent and the blank form to be signed.

Both are real PDFs, read back with pypdf: they name the person, the parties, the categories and
the period, and carry signature lines for exactly those who must sign at the person's age.
"""

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.consent.models import Consent

GUARDIANS = ["Maja Förälder", "Nils Förälder"]


def pdf_url(case, consent) -> str:
    return f"/arenden/{case.pk}/samtycken/{consent.pk}/samtycke.pdf"


def blank_url(case, **params) -> str:
    query = urlencode(params, doseq=True)
    return f"/arenden/{case.pk}/samtycken/blankett.pdf" + (f"?{query}" if query else "")


def signature_lines(text: str) -> dict[str, list[str]]:
    """Names on the 'Den enskilde: …' and 'Vårdnadshavare: …' lines of the signature block."""
    block = text.split("Underskrifter", 1)[1].split("Handläggare", 1)[0]
    return {
        "person": re.findall(r"Den enskilde: (.+?) Ort och datum", block),
        "guardians": re.findall(r"Vårdnadshavare: (.+?) Ort och datum", block),
        "any_guardian_line": re.findall(r"Vårdnadshavare", block),
    }


def get_pdf(client, url, read_pdf) -> str:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return read_pdf(response.content)


def test_the_recorded_consent_of_a_sixteen_year_old(unit_a, kit, login, read_pdf):
    case = kit.person_case(unit_a, age=16, first="Sixten", guardians=GUARDIANS)
    consent = kit.consent(
        unit_a,
        case,
        organisations=[unit_a.police, unit_a.school],
        categories=kit.categories(unit_a, "health", "criminality"),
        place="Fiktiva Lillby",
    )

    text = get_pdf(login(unit_a.coordinator), pdf_url(case, consent), read_pdf)

    assert "Sixten Personsson" in text
    assert case.person.formatted_number in text
    assert "Polisen Alfa" in text and "Skolan Alfa" in text
    assert "Hälsa" in text and "Kriminalitet" in text
    assert "Ekonomi" not in text  # a category the consent does not cover
    assert (
        f"Samtycket gäller från {consent.valid_from:%Y-%m-%d} "
        f"till och med {consent.valid_until:%Y-%m-%d}." in text
    )
    assert "Fiktiva Lillby" in text
    lines = signature_lines(text)
    assert lines["person"] == ["Sixten Personsson"]
    assert sorted(lines["guardians"]) == GUARDIANS
    assert len(lines["any_guardian_line"]) == 2


def test_a_twenty_year_old_signs_alone(unit_a, kit, login, read_pdf):
    # Guardians still registered from earlier years must not get a line.
    case = kit.person_case(unit_a, age=20, first="Tora", guardians=GUARDIANS)
    consent = kit.consent(unit_a, case)

    text = get_pdf(login(unit_a.coordinator), pdf_url(case, consent), read_pdf)

    lines = signature_lines(text)
    assert lines["person"] == ["Tora Personsson"]
    assert "Vårdnadshavare" not in text
    assert "Personen är 20 år och samtycker själv." in text


def test_a_thirteen_year_old_has_only_guardian_lines(unit_a, kit, login, read_pdf):
    case = kit.person_case(unit_a, age=13, first="Tretton", guardians=GUARDIANS)
    consent = kit.consent(unit_a, case, person_signed=False)

    text = get_pdf(login(unit_a.coordinator), pdf_url(case, consent), read_pdf)

    lines = signature_lines(text)
    assert lines["person"] == []
    assert sorted(lines["guardians"]) == GUARDIANS
    assert len(lines["any_guardian_line"]) == 2
    assert "Tretton Personsson" in text  # named as the person the consent is about


def test_a_judged_thirteen_year_old_signs_alone(unit_a, kit, login, read_pdf):
    case = kit.person_case(unit_a, age=13, first="Mogen", guardians=GUARDIANS)
    consent = kit.consent(
        unit_a,
        case,
        person_signed=True,
        guardians_signed=[],
        own_consent_judgement="Bedömd mogen att själv samtycka (fiktivt exempel).",
    )

    text = get_pdf(login(unit_a.coordinator), pdf_url(case, consent), read_pdf)

    lines = signature_lines(text)
    assert lines["person"] == ["Mogen Personsson"]
    assert lines["any_guardian_line"] == []


def test_the_lines_follow_the_age_on_the_day_of_signing(unit_a, kit, login, read_pdf):
    """Signed at 17, printed after the 18th birthday: the guardians signed, so they have lines."""
    birthday = timezone.localdate() - timedelta(days=10)  # the 18th birthday, ten days ago
    birth = birthday.replace(year=birthday.year - 18, day=min(birthday.day, 28))
    case = kit.person_case(unit_a, birth=birth, first="Artonåring", guardians=GUARDIANS)
    signed = timezone.localdate() - timedelta(days=20)
    assert case.person.age(signed) == 17 and case.person.age() == 18
    consent = kit.consent(unit_a, case, signed_on=signed, valid_from=signed)

    text = get_pdf(login(unit_a.coordinator), pdf_url(case, consent), read_pdf)

    lines = signature_lines(text)
    assert lines["person"] == ["Artonåring Personsson"]
    assert sorted(lines["guardians"]) == GUARDIANS


# --- the blank form ----------------------------------------------------------------------------


def test_the_blank_form_uses_what_the_user_chose(unit_a, kit, login, read_pdf):
    case = kit.person_case(unit_a, age=16, first="Blanka", guardians=GUARDIANS)
    economy = kit.categories(unit_a, "economy")[0]
    today = timezone.localdate()
    start, end = today + timedelta(days=3), today + timedelta(days=120)

    text = get_pdf(
        login(unit_a.coordinator),
        blank_url(
            case,
            organisations=unit_a.school.pk,
            categories=economy.pk,
            valid_from=start.isoformat(),
            valid_until=end.isoformat(),
            place="Fiktiva Storby",
        ),
        read_pdf,
    )

    assert "Blanka Personsson" in text
    assert "Skolan Alfa" in text
    assert "Polisen Alfa" not in text  # not chosen
    assert "Ekonomi" in text
    assert "Hälsa" not in text  # not chosen
    assert f"Samtycket gäller från {start:%Y-%m-%d} till och med {end:%Y-%m-%d}." in text
    assert "Fiktiva Storby" in text
    lines = signature_lines(text)
    assert lines["person"] == ["Blanka Personsson"]
    assert sorted(lines["guardians"]) == GUARDIANS


def test_the_blank_form_without_choices_lists_every_party_and_category(
    unit_a, kit, login, read_pdf
):
    case = kit.person_case(unit_a, age=20, first="Tom", guardians=GUARDIANS)
    text = get_pdf(login(unit_a.coordinator), blank_url(case), read_pdf)

    assert "Polisen Alfa" in text and "Skolan Alfa" in text
    for category in kit.categories(unit_a):
        assert category.label in text
    assert signature_lines(text)["person"] == ["Tom Personsson"]
    assert "Vårdnadshavare" not in text


def test_the_blank_form_of_a_thirteen_year_old_has_guardian_lines_only(
    unit_a, kit, login, read_pdf
):
    case = kit.person_case(unit_a, age=13, first="Liten", guardians=GUARDIANS)
    text = get_pdf(login(unit_a.coordinator), blank_url(case), read_pdf)
    lines = signature_lines(text)
    assert lines["person"] == []
    assert sorted(lines["guardians"]) == GUARDIANS


def test_the_blank_form_of_a_de_identified_case_is_not_found(unit_a, login):
    case = unit_a.case(age=16)
    assert login(unit_a.coordinator).get(blank_url(case)).status_code == 404


# --- logging and access ------------------------------------------------------------------------


def test_each_pdf_request_is_logged_as_print(unit_a, kit, login, read_pdf, new_log_entries):
    case = kit.person_case(unit_a, age=20)
    consent = kit.consent(unit_a, case)
    client = login(unit_a.supervisor)

    for url in (pdf_url(case, consent), blank_url(case), pdf_url(case, consent)):
        since = new_log_entries()
        assert client.get(url).status_code == 200
        prints = [e for e in new_log_entries(since) if e.action == "print"]
        assert len(prints) == 1, url
        entry = prints[0]
        assert entry.case_id == case.pk
        assert entry.person_id == case.person_id
        assert entry.user == unit_a.supervisor
        assert "role:supervisor" in entry.grounds

    assert AccessLogEntry.objects.filter(action="print", case_id=case.pk).count() == 3


@pytest.mark.parametrize("who", ["partner_member", "other_unit", "leadership"])
def test_outsiders_get_404_for_both_pdfs(unit_a, unit_b, kit, login, who):
    case = kit.person_case(unit_a, age=20)
    consent = kit.consent(unit_a, case)  # active and covering the police
    kit.partner_member(unit_a, case)
    user = {
        "partner_member": unit_a.partner,
        "other_unit": unit_b.supervisor,
        "leadership": unit_a.leadership,
    }[who]
    client = login(user)
    assert client.get(pdf_url(case, consent)).status_code == 404
    assert client.get(blank_url(case)).status_code == 404
    assert not AccessLogEntry.objects.filter(action="print", user=user).exists()


def test_a_consent_of_another_case_is_not_printed_through_this_case(unit_a, kit, login):
    case = kit.person_case(unit_a, age=20)
    other = kit.person_case(unit_a, age=20)
    consent = kit.consent(unit_a, other)
    assert Consent.objects.filter(case=case).count() == 0
    assert login(unit_a.coordinator).get(pdf_url(case, consent)).status_code == 404
