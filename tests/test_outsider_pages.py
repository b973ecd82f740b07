"""Every page, rendered for every kind of outsider, shows none of unit B's personal data.

DESIGN: "another [test] renders each page as an outsider and asserts no personal data appears".
The pages are found by walking the URL patterns, so a new page is covered without editing this
file: `pk` under arenden/ is each of B's cases, under personer/ each of B's people (only the
first case or person on routes with more arguments); a record id (`record_pk`, `decision_pk`)
is B's record of the kind the route's segment names (RECORD_SEGMENTS), under the case the
record belongs to; guardian, consent and member ids are B's; any other numeric argument gets
B's case id; a slug gets a lifecycle state.

B's identified case has a group, a consent (not covering the police), a disclosure and one
record of every investigation kind and a risk assessment, each with made-up text (B_TEXTS).
B's police officer wrote the police assessment under a second consent that has since been
revoked. A second identified case is enrolled, with a decision and a first follow-up
assessment; its consent covers the police, but B's officer has left its group. So B's police
officer is an outsider to every case of B.
"""

import itertools
import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote, quote_plus

import pytest
from django.contrib.admin import site as admin_site
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.html import escape

from insats.cases.lifecycle import State
from insats.cases.models import Case, CaseMember, CaseTransition
from insats.consent import services as consent_services
from insats.consent.models import Consent, Disclosure
from insats.decisions import services as decision_services
from insats.decisions.models import CaseDecision, FollowUpAssessment
from insats.investigation import services as inv
from insats.investigation.models import (
    CriminalityProfile,
    Inventory,
    LetterHandover,
    PoliceAssessment,
    ResourceMapping,
    ThreatAssessment,
    ThreatLevel,
    ThreatMeasure,
)
from insats.organisations.models import InformationCategory, LegalReference, User
from insats.people import services as people_services
from insats.people.models import Guardian, Person
from insats.risk import services as risk_services
from insats.risk.models import RiskAssessment
from tests import builders

B_PREFIX = "BX"

# Made-up text written into B's records, one per kind; none of it may reach an outsider.
B_TEXTS = {
    "inventory": "Vill bli snickare som morfar Algot",
    "letter": "Lämnat vid hembesök hos mormor i Snöbacka",
    "police": "Känd av närpolisen för inbrotten i Kvarnbyhallen",
    "criminality": "Förundersökning 5000-K4711 Vinterby",
    "network": "Rut Snödroppe",
    "threat": "Hot från Kvarnbygänget",
    "risk": "Rymt två gånger från Snöbacka gård",
    "decision": "Beviljas efter samråd med Vinterby fritidsgård",
    "follow_up": "Praktik på Vinterby bageri sedan mars",
}

# B's record kinds, and the URL segment under arenden/<pk>/ of those with pages of their own.
RECORD_MODELS = (
    Inventory,
    LetterHandover,
    PoliceAssessment,
    CriminalityProfile,
    ResourceMapping,
    ThreatAssessment,
    RiskAssessment,
    CaseDecision,
    FollowUpAssessment,
)
RECORD_SEGMENTS = {
    "inventering": Inventory,
    "polisbedomning": PoliceAssessment,
    "hotbild": ThreatAssessment,
    "riskbedomning": RiskAssessment,
    "beslut": CaseDecision,
    "uppfoljningsbedomning": FollowUpAssessment,
}


@dataclass
class BSecrets:
    person: Person
    guardian: Guardian
    identified: Case
    deidentified: Case
    consent: Consent
    members: list[CaseMember]
    disclosure: Disclosure
    enrolled: Case
    records: list[models.Model]  # one of each of RECORD_MODELS

    @property
    def cases(self) -> list[Case]:
        return [self.identified, self.deidentified, self.enrolled]

    @property
    def people(self) -> list[Person]:
        return [self.person, self.enrolled.person]

    def record(self, model) -> models.Model:
        return next(record for record in self.records if isinstance(record, model))

    def strings(self) -> set[str]:
        strings = {
            self.guardian.name,
            self.guardian.phone,
            *(case.alias for case in self.cases),
            *(case.number for case in self.cases),
            *(case.intake_basis for case in self.cases),
            *(case.source_detail for case in self.cases),
            *(member.name for member in self.members if member.name),
            self.disclosure.information,
            *B_TEXTS.values(),
        }
        for p in self.people:
            digits = p.identity_number
            strings |= {
                p.first_name,
                p.last_name,
                p.full_name,
                digits,
                f"{digits[:8]}-{digits[8:]}",
                digits[2:],
                f"{digits[2:8]}-{digits[8:]}",
                p.street_address,
                p.phone,
                p.email,
            }
        return strings


def b_records(world, case: Case) -> list[models.Model]:
    """One record of each investigation kind and a risk assessment on B's identified case."""
    boss, today = world.supervisor, timezone.localdate()
    # Only a police member under a consent covering the police records the assessment. B's
    # officer is in the group; the consent for it is revoked at once, so the officer no longer
    # sees the case.
    police_consent = builders.consent(world, case, codes=("criminality",))
    police = inv.police_assessment_save(
        case=case,
        by=world.partner,
        outcome=PoliceAssessment.Outcome.SUITABLE,
        reasoning=B_TEXTS["police"],
        assessed_on=today,
    )
    consent_services.consent_revoke(consent=police_consent, by=boss, revoked_on=today, how="Brev")
    instrument = risk_services.instruments_for(case.unit_id).first()
    return [
        inv.inventory_save(
            case=case, by=boss, assessed_on=today, ratings=[], motivation_note=B_TEXTS["inventory"]
        ),
        inv.letter_handover_record(
            case=case,
            by=boss,
            letter=inv.current_letter(case.unit_id),
            handed_over_on=today,
            handed_over_by=world.coordinator,
            note=B_TEXTS["letter"],
        ),
        police,
        inv.criminality_save(
            case=case,
            by=boss,
            volume=CriminalityProfile.Volume.SEVERAL,
            items=[
                {
                    "crime_type": inv.crime_types(case).first(),
                    "basis": "confirmed",
                    "source": B_TEXTS["criminality"],
                    "noted_on": today,
                }
            ],
        ),
        inv.resources_save(
            case=case, by=boss, people=[{"name": B_TEXTS["network"], "relation": "Mormor"}]
        ),
        inv.threat_save(
            case=case,
            by=boss,
            assessed_on=today,
            level=ThreatLevel.MODERATE,
            description=B_TEXTS["threat"],
            measures=[],
        ),
        risk_services.risk_assessment_save(
            case=case,
            by=boss,
            instrument=instrument,
            assessed_on=today,
            summary=instrument.summary_scale[0],
            summary_reasons=B_TEXTS["risk"],
            ratings=[],
            extra_factors=[],
        ),
    ]


def b_enrolled_case(world) -> tuple[Case, list[models.Model]]:
    """A second identified case, enrolled, with its decision and first follow-up assessment."""
    boss, today = world.supervisor, timezone.localdate()
    case = builders.enrollable_case(
        world,
        intake_basis="Skadegörelse vid Snöbacka station",
        source_detail="Fältgruppen Vinterby",
    )
    people_services.person_update(
        person=case.person, by=boss, first_name="Vilgot", last_name="Snöbäck"
    )
    decision = decision_services.decide_enrolment(
        case=case,
        by=boss,
        outcome=True,
        decided_on=today,
        reasons=B_TEXTS["decision"],
        risk_of_reoffending="Hög.",
        motivation="God.",
        needs="Sysselsättning.",
        resources="Familjen.",
        criminality="Flera brott.",
        legal_reference=LegalReference.objects.get(unit=world.unit, code="support_sol"),
    )
    case.refresh_from_db()
    follow_up = decision_services.follow_up_save(
        case=case,
        by=world.coordinator,
        kind=FollowUpAssessment.Kind.FIRST,
        assessed_on=today,
        occupation="measure",
        housing="family",
        substance_use="none",
        criminal_network="occasional",
        income="benefit",
        ratings=[],
        note=B_TEXTS["follow_up"],
    )
    # The case's consent covers the police, but B's officer has left the group.
    officer = CaseMember.objects.get(case=case, user=world.partner, removed_at__isnull=True)
    consent_services.member_remove(member=officer, by=boss)
    return case, [decision, follow_up]


@pytest.fixture
def b_secrets(unit_b, login) -> BSecrets:
    unit_b.unit.case_prefix = B_PREFIX
    unit_b.unit.save()
    person = unit_b.person(
        first="Hjalmar",
        last="Östergyllen",
        birth=date(2008, 7, 21),
        serial=456,
        street_address="Kvarnbacken 7",
        phone="070-1234567",
        email="hjalmar@example.org",
    )
    guardian = Guardian.objects.create(person=person, name="Greta Vinterlund", phone="070-7654321")
    identified = unit_b.case(
        person=person,
        intake_basis="Misstänkt för rån vid Kvarnbyskolan",
        source_detail="Närpolis Vinterby",
    )
    deidentified = unit_b.case(age=17, intake_basis="Orosanmälan från fritidsgården Snöret")
    # The group: B's police officer is a member but no valid consent covers the police, so
    # even B's partner must not see the case; a coach without an account is named in it.
    boss = unit_b.supervisor
    members = [
        consent_services.member_add_user(
            case=identified, by=boss, user=unit_b.partner, organisation=unit_b.police
        ),
        consent_services.member_add_external(
            case=identified, by=boss, name="Sixten Klöverhage", function="Fotbollstränare"
        ),
    ]
    today = timezone.localdate()
    consent = consent_services.consent_create(
        case=identified,
        by=boss,
        organisations=[unit_b.school],
        categories=InformationCategory.objects.filter(
            unit=unit_b.unit, code__in=["health", "criminality"]
        ),
        place="Vinterby",
        signed_on=today,
        valid_from=today,
        valid_until=today + timedelta(days=180),
        officer_name="Handläggare Beta",
        officer_phone="08-123456",
        officer_organisation=unit_b.social,
        person_signed=True,
    )
    disclosure = consent_services.disclosure_record(
        case=identified,
        by=boss,
        information="Uppgift om skolfrånvaro vid Kvarnbyskolan",
        to_organisation=unit_b.police,
        disclosed_on=today,
        legal_basis=LegalReference.objects.get(unit=unit_b.unit, kind="disclosure"),
    )
    records = b_records(unit_b, identified)
    enrolled, decision_records = b_enrolled_case(unit_b)
    secrets = BSecrets(
        person,
        guardian,
        identified,
        deidentified,
        consent,
        members,
        disclosure,
        enrolled,
        records + decision_records,
    )
    assert {type(record) for record in secrets.records} == set(RECORD_MODELS)
    # B's own staff work on the cases first, so that the access log has entries about them.
    client = login(unit_b.supervisor)
    for url in (
        *(reverse("case_detail", args=[case.pk]) for case in secrets.cases),
        *(reverse("person_detail", args=[p.pk]) for p in secrets.people),
        reverse("case_list") + "?q=Östergyllen",
    ):
        assert client.get(url).status_code == 200
    client.logout()
    return secrets


@pytest.fixture
def a_case(unit_a) -> Case:
    """Unit A has a case of its own, so A's pages are not simply empty."""
    person = unit_a.person(first="Astrid", last="Alfasson", birth=date(2007, 2, 3), serial=234)
    return unit_a.case(person=person)


# --- Building every page's URL ----------------------------------------------------------------

_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


RECORD_PARAMS = ("record_pk", "decision_pk")


def _record_of(route: str, b: BSecrets) -> models.Model | None:
    """B's record a route with a record id is about, by the route's segment after the case."""
    if not any(f":{name}>" in route for name in RECORD_PARAMS):
        return None
    segment = route.split("/")[2]  # arenden/<int:pk>/<segment>/...
    assert segment in RECORD_SEGMENTS, f"{route}: add the record's model to RECORD_SEGMENTS"
    return b.record(RECORD_SEGMENTS[segment])


def _values(route: str, name: str, converter: str, b: BSecrets) -> list[str]:
    if converter == "slug":
        # A lifecycle move: one the table allows from intake, and one it never allows.
        return [State.INVESTIGATION.value, State.DISCHARGED.value]
    if converter not in ("int", None, "str"):
        return ["x"]
    record = _record_of(route, b)
    if name in RECORD_PARAMS:
        return [str(record.pk)]
    if name == "pk" and route.startswith(("arenden/", "personer/")):
        if record is not None:
            return [str(record.case_id)]  # under another case it is a plain 404
        owners = b.cases if route.startswith("arenden/") else b.people
        if len(_PARAM.findall(route)) > 1:
            # Consents, members, moves, guardians: the identified case and its person have them.
            owners = owners[:1]
        return [str(owner.pk) for owner in owners]
    if name == "guardian_pk":
        return [str(b.guardian.pk)]
    if name == "consent_pk":
        return [str(b.consent.pk)]
    if name == "member_pk":
        return [str(member.pk) for member in b.members]
    if converter == "str":
        return ["x"]
    # An argument this test does not know (e.g. a log entry): B's case id.
    return [str(b.identified.pk)]


def page_urls(b: BSecrets) -> list[tuple[str, bool]]:
    """(url, is about one of B's objects) for every non-admin route."""
    urls = []
    for route in _routes(get_resolver().url_patterns):
        params = list(_PARAM.finditer(route))
        choices = [_values(route, m["name"], m["converter"], b) for m in params]
        for combo in itertools.product(*choices):
            values = iter(combo)
            url = "/" + _PARAM.sub(lambda _m, values=values: next(values), route)
            urls.append((url, bool(params)))
    return urls


def body_of(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", errors="replace")


def assert_no_b_data(body: str, secrets: set[str], where: str, echoed: str = "") -> None:
    if echoed:
        for form in (quote_plus(echoed), quote(echoed), escape(echoed), echoed):
            body = body.replace(form, "")
    leaked = sorted(s for s in secrets if s and s in body)
    assert not leaked, f"{where}: unit B data in the response: {leaked}"


def b_state(b: BSecrets) -> dict:
    """Everything an outsider's POST could have changed in B."""
    unit = b.identified.unit_id
    return {
        "cases": list(
            Case.objects.filter(unit_id=unit)
            .order_by("pk")
            .values_list("pk", "state", "person_id", "coordinator_id", "investigator_id")
        ),
        "moves": CaseTransition.objects.filter(case__unit_id=unit).count(),
        "people": list(Person.objects.filter(unit_id=unit).order_by("pk").values()),
        "guardians": list(Guardian.objects.filter(person__unit_id=unit).values_list("pk", "name")),
        "consents": list(
            Consent.objects.filter(case__unit_id=unit).values_list("pk", "revoked_on", "scan")
        ),
        "members": list(
            CaseMember.objects.filter(case__unit_id=unit).values_list("pk", "removed_at")
        ),
        "disclosures": Disclosure.objects.filter(case__unit_id=unit).count(),
        # Records: a new version, a superseded one or a new decision all show here.
        **{
            model.__name__: list(model.objects.filter(case__unit_id=unit).order_by("pk").values())
            for model in RECORD_MODELS
        },
        "ThreatMeasure": list(
            ThreatMeasure.objects.filter(assessment__case__unit_id=unit).order_by("pk").values()
        ),
    }


# Management forms of the formsets, with no rows: the forms validate without them.
FORMSET_PREFIXES = ("items", "people", "measures", "rating", "extra")


def post_data(b: BSecrets, url: str) -> dict:
    """One POST body that would satisfy most of the forms, were the outsider let through."""
    today = timezone.localdate().isoformat()
    data = {
        "reason": "Utomstående försöker",
        "first_name": "Inkräktare",
        "last_name": "Utifrån",
        "birth_date": "2009-01-01",
        "name": "Inkräktare Utifrån",
        "person": b.person.pk,
        "revoked_on": today,
        "how": "muntligt",
        "information": "Utomstående uppgift",
        "disclosed_on": today,
        "to_organisation": b.disclosure.to_organisation_id,
        "legal_basis": b.disclosure.legal_basis_id,
        # Investigation, risk and decision forms.
        "assessed_on": today,
        "note": "Utomstående anteckning",
        "letter": inv.current_letter(b.identified.unit_id).pk,
        "handed_over_on": today,
        "handed_over_by": b.identified.coordinator_id,
        "outcome": "no",  # a decision: decline (which would close the case)
        "reasoning": "Utomstående motivering",
        "volume": CriminalityProfile.Volume.FEW,
        "level": ThreatLevel.LOW,
        "description": "Utomstående hotbild",
        "summary": b.record(RiskAssessment).instrument.summary_scale[0],
        "summary_reasons": "Utomstående skäl",
        "decided_on": today,
        "reasons": "Utomstående beslut",
        "occupation": "none",
        "housing": "own",
        "substance_use": "none",
        "criminal_network": "none",
        "income": "none",
        **{
            f"omraden-{index}-life_area": area.pk
            for index, area in enumerate(inv.unit_life_areas(b.identified))
        },
        **{
            f"{prefix}-{count}": 0
            for prefix in FORMSET_PREFIXES
            for count in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
    }
    if "/polisbedomning/" in url:
        data["outcome"] = PoliceAssessment.Outcome.SUITABLE
    return data


OUTSIDERS = [
    ("a", "coordinator"),
    ("a", "supervisor"),  # also reviews A's access log
    ("a", "partner"),
    ("a", "leadership"),
    ("a", "analyst"),
    ("a", "administrator"),
    ("b", "partner"),  # B's police: a member of the group, but no consent covers the police
    ("b", "leadership"),  # sees de-identified statistics only, even in its own unit
]


POSTERS = {("a", "supervisor"), ("b", "partner")}


def _outsider(request, unit_name: str, role: str) -> User:
    return getattr(request.getfixturevalue(f"unit_{unit_name}"), role)


@pytest.mark.parametrize(("unit_name", "role"), OUTSIDERS, ids=[f"{u}-{r}" for u, r in OUTSIDERS])
def test_outsider_sees_no_b_data_on_any_page(request, b_secrets, a_case, login, unit_name, role):
    client = login(_outsider(request, unit_name, role))
    secrets = b_secrets.strings()
    urls = page_urls(b_secrets)
    assert len(urls) > 20  # the walk found the case and person pages

    for url, about_b in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        if about_b:
            # Not found, or POST-only (405, before anything is looked up).
            assert response.status_code in (404, 405), url
        assert_no_b_data(body_of(response), secrets, url)

    if (unit_name, role) in POSTERS:
        # POST to every page about B: nothing of B changes, whatever the form would have done.
        # (Whether a view checks before it writes does not depend on who asks, so two kinds of
        # outsider are enough here; the GETs above already cover every role's access.)
        before = b_state(b_secrets)
        for url, about_b in urls:
            if about_b:
                response = client.post(url, post_data(b_secrets, url))
                assert response.status_code < 500, url
                assert_no_b_data(body_of(response), secrets, f"POST {url}")
        assert b_state(b_secrets) == before

    # Lists again, now that the outsider's own denied attempts are in the access log.
    for url, about_b in urls:
        if not about_b:
            assert_no_b_data(body_of(client.get(url)), secrets, f"{url} (second visit)")

    # Search and filters of the case list: B's data is neither matched nor shown.
    terms = [
        *(case.alias for case in b_secrets.cases),
        *(case.number for case in b_secrets.cases),
        B_PREFIX,
        "Ärende",
    ]
    for person in b_secrets.people:
        terms += [
            person.first_name,
            person.last_name,
            person.full_name,
            person.identity_number,
            person.formatted_number,
            person.identity_number[2:],
            f"{person.identity_number[2:8]}-{person.identity_number[8:]}",
        ]
    for term in terms:
        response = client.get(reverse("case_list"), {"q": term})
        assert response.status_code == 200
        found = response.context["page"].paginator.object_list
        assert not [case for case in found if case.unit_id == b_secrets.identified.unit_id]
        assert_no_b_data(body_of(response), secrets, f"search {term!r}", echoed=term)
    for page in ("", "?state=intake", "?sort=alias", "?sida=2"):
        response = client.get(reverse("case_list") + page)
        assert_no_b_data(body_of(response), secrets, f"case list {page}")


def test_b_staff_do_see_the_data(unit_b, b_secrets, login):
    """Positive control: B's supervisor, walking the same URLs, meets the data on some page."""
    client = login(unit_b.supervisor)
    bodies, opened = [], []
    for url, _about_b in page_urls(b_secrets):
        response = client.get(url)
        if response.status_code == 200:
            bodies.append(body_of(response))
            opened.append(url)
    # Each kind of record page opened: the walk pairs every record with its own case.
    for segment in RECORD_SEGMENTS:
        assert any(re.search(rf"/{segment}/\d+/", url) for url in opened), segment
    for term in (*(p.full_name for p in b_secrets.people), *(c.alias for c in b_secrets.cases)):
        response = client.get(reverse("case_list"), {"q": term})
        bodies.append(body_of(response).replace(escape(term), "").replace(quote_plus(term), ""))
    seen = "\n".join(bodies)
    # The raw and 10-digit forms of the numbers are only what a user types, never shown.
    typed_only = set()
    for person in b_secrets.people:
        number = person.identity_number
        typed_only |= {number, number[2:], f"{number[2:8]}-{number[8:]}"}
    missing = sorted(s for s in b_secrets.strings() - typed_only if s not in seen)
    assert not missing


def test_superuser_admin_pages_show_no_case_content(b_secrets, a_case, client):
    """The admin is configuration only: even a superuser finds no person or case data there."""
    admin = User.objects.create_superuser("root", "root@example.org", "test-password-123")
    client.force_login(admin)
    secrets = b_secrets.strings()
    urls = [reverse("admin:index"), reverse("start"), reverse("case_list")]
    for model in admin_site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_b_data(body_of(response), secrets, url)
    for case in b_secrets.cases:
        assert client.get(reverse("case_detail", args=[case.pk])).status_code == 404
    assert client.get(reverse("person_detail", args=[b_secrets.person.pk])).status_code == 404
