"""Who must sign a consent, by age on the day of signing (SPEC §5).

Under 15: the guardian(s). 15–17: the young person AND the guardian(s). 18 and over: the person
alone, and guardians must not be given. A professional may judge a younger person's own consent
sufficient; that judgement must be written down.

The person below is born on 20 May 2006: 15 years old on 2021-05-20, 18 on 2024-05-20.
"""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from insats.access.models import AccessLogEntry
from insats.consent import rules
from insats.consent.models import Consent
from insats.people.models import Guardian

BIRTH = date(2006, 5, 20)
DAY_BEFORE_15 = date(2021, 5, 19)
BIRTHDAY_15 = date(2021, 5, 20)
DAY_BEFORE_18 = date(2024, 5, 19)
BIRTHDAY_18 = date(2024, 5, 20)
JUDGEMENT = "Bedömd mogen att själv ta ställning efter samtal 2021-05-10 (fiktivt exempel)."


@pytest.fixture
def young(unit_a, kit):
    """An identified case of a person born 2006-05-20 with two registered guardians."""
    return kit.person_case(unit_a, birth=BIRTH, guardians=["Maja Förälder", "Nils Förälder"])


def sign(kit, world, case, signed_on, *, person, guardians, judgement=""):
    """Record a consent signed on `signed_on` by the given signatories."""
    registered = list(case.person.guardians.order_by("pk"))
    signed = {"none": [], "one": registered[:1], "all": registered}[guardians]
    return kit.consent(
        world,
        case,
        signed_on=signed_on,
        valid_from=signed_on,
        valid_until=signed_on + timedelta(days=365),
        person_signed=person,
        guardians_signed=signed,
        own_consent_judgement=judgement,
    )


# --- the pure rule at the birthday boundaries -------------------------------------------------


@pytest.mark.parametrize(
    ("day", "age", "required"),
    [
        (DAY_BEFORE_15, 14, {rules.GUARDIANS}),
        (BIRTHDAY_15, 15, {rules.PERSON, rules.GUARDIANS}),
        (DAY_BEFORE_18, 17, {rules.PERSON, rules.GUARDIANS}),
        (BIRTHDAY_18, 18, {rules.PERSON}),
    ],
    ids=["day-before-15", "15th-birthday", "day-before-18", "18th-birthday"],
)
def test_required_signatories_follow_the_age_on_the_day_of_signing(young, day, age, required):
    assert young.person.age(day) == age
    assert rules.required_signatories(young.person.age(day)) == required


@pytest.mark.parametrize("age", [10, 14])
def test_a_written_judgement_lets_a_younger_person_sign_alone(age):
    assert rules.required_signatories(age, own_consent_accepted=True) == {rules.PERSON}
    assert rules.required_signatories(age, own_consent_accepted=False) == {rules.GUARDIANS}


# --- the service at the birthday boundaries ---------------------------------------------------

ACCEPTED = set()

# (signed on, person signed, which guardians signed, judgement, fields with an error)
BOUNDARY_CASES = [
    # day before the 15th birthday: 14 years old, the guardians sign
    (DAY_BEFORE_15, False, "all", "", ACCEPTED),
    (DAY_BEFORE_15, True, "all", "", ACCEPTED),
    (DAY_BEFORE_15, True, "none", "", {"guardians_signed"}),
    (DAY_BEFORE_15, False, "one", "", {"guardians_signed"}),
    (DAY_BEFORE_15, True, "none", JUDGEMENT, ACCEPTED),
    (DAY_BEFORE_15, False, "none", JUDGEMENT, {"person_signed"}),
    # on the 15th birthday: the young person AND every guardian
    (BIRTHDAY_15, True, "all", "", ACCEPTED),
    (BIRTHDAY_15, False, "all", "", {"person_signed"}),
    (BIRTHDAY_15, True, "one", "", {"guardians_signed"}),
    (BIRTHDAY_15, True, "none", "", {"guardians_signed"}),
    # day before the 18th birthday: still 17
    (DAY_BEFORE_18, True, "all", "", ACCEPTED),
    (DAY_BEFORE_18, True, "none", "", {"guardians_signed"}),
    (DAY_BEFORE_18, False, "all", "", {"person_signed"}),
    (DAY_BEFORE_18, True, "none", JUDGEMENT, ACCEPTED),
    # on the 18th birthday: the person alone; guardians and judgements must not be given
    (BIRTHDAY_18, True, "none", "", ACCEPTED),
    (BIRTHDAY_18, False, "none", "", {"person_signed"}),
    (BIRTHDAY_18, True, "all", "", {"guardians_signed"}),
    (BIRTHDAY_18, True, "one", "", {"guardians_signed"}),
    (BIRTHDAY_18, False, "all", "", {"person_signed", "guardians_signed"}),
    (BIRTHDAY_18, True, "none", JUDGEMENT, {"own_consent_judgement"}),
]


def _case_id(case) -> str:
    day, person, guardians, judgement, errors = case
    signers = (
        f"{'person+' if person else ''}{guardians}-guardians{'+judgement' if judgement else ''}"
    )
    return f"{day}:{signers}->{'+'.join(sorted(errors)) or 'ok'}"


@pytest.mark.parametrize(
    ("day", "person", "guardians", "judgement", "errors"),
    BOUNDARY_CASES,
    ids=[_case_id(case) for case in BOUNDARY_CASES],
)
def test_consent_create_applies_the_age_rule_at_the_birthdays(
    unit_a, kit, young, day, person, guardians, judgement, errors
):
    if errors:
        with pytest.raises(ValidationError) as caught:
            sign(kit, unit_a, young, day, person=person, guardians=guardians, judgement=judgement)
        assert set(caught.value.message_dict) == errors
        assert not Consent.objects.filter(case=young).exists()
        assert not AccessLogEntry.objects.filter(object_type="consent", case_id=young.pk).exists()
    else:
        consent = sign(
            kit, unit_a, young, day, person=person, guardians=guardians, judgement=judgement
        )
        consent.refresh_from_db()
        assert consent.signed_on == day
        assert consent.person_signed is person
        expected = young.person.guardians.count() if guardians == "all" else 0
        assert consent.guardians_signed.count() == expected
        assert consent.own_consent_judgement == judgement


def test_the_messages_say_what_is_wrong_in_swedish(unit_a, kit, young):
    with pytest.raises(ValidationError) as caught:
        sign(kit, unit_a, young, BIRTHDAY_15, person=False, guardians="one")
    messages = caught.value.message_dict
    assert messages["person_signed"] == ["Den enskilde måste själv samtycka (ålder 15 år)."]
    assert messages["guardians_signed"] == [
        "Alla vårdnadshavare måste samtycka när personen är under 18 år."
    ]

    with pytest.raises(ValidationError) as caught:
        sign(kit, unit_a, young, BIRTHDAY_18, person=True, guardians="all", judgement=JUDGEMENT)
    messages = caught.value.message_dict
    assert messages["guardians_signed"] == [
        "Den som fyllt 18 år samtycker själv; vårdnadshavare ska inte anges."
    ]
    assert messages["own_consent_judgement"] == [
        "En bedömning av den unges mognad behövs bara för den som är under 18 år."
    ]


def test_the_judgement_is_stored_trimmed(unit_a, kit, young):
    consent = sign(
        kit,
        unit_a,
        young,
        DAY_BEFORE_15,
        person=True,
        guardians="none",
        judgement=f"  {JUDGEMENT}\n",
    )
    consent.refresh_from_db()
    assert consent.own_consent_judgement == JUDGEMENT


def test_a_whitespace_only_judgement_is_no_judgement(unit_a, kit, young):
    with pytest.raises(ValidationError) as caught:
        sign(kit, unit_a, young, DAY_BEFORE_15, person=True, guardians="none", judgement="   ")
    assert set(caught.value.message_dict) == {"guardians_signed"}


@pytest.mark.parametrize("day", [DAY_BEFORE_15, BIRTHDAY_15, DAY_BEFORE_18])
def test_a_minor_without_registered_guardians_gets_a_clear_message(unit_a, kit, day):
    case = kit.person_case(unit_a, birth=BIRTH)  # no guardians registered
    with pytest.raises(ValidationError) as caught:
        kit.consent(
            unit_a,
            case,
            signed_on=day,
            valid_from=day,
            valid_until=day + timedelta(days=90),
            person_signed=True,
            guardians_signed=[],
        )
    assert caught.value.message_dict["guardians_signed"] == [
        "Personen är under 18 år: registrera vårdnadshavare innan samtycket sparas."
    ]
    assert not Consent.objects.filter(case=case).exists()


def test_an_adult_without_registered_guardians_signs_alone(unit_a, kit):
    case = kit.person_case(unit_a, birth=BIRTH)
    consent = kit.consent(
        unit_a,
        case,
        signed_on=BIRTHDAY_18,
        valid_from=BIRTHDAY_18,
        valid_until=BIRTHDAY_18 + timedelta(days=90),
        person_signed=True,
        guardians_signed=[],
    )
    assert consent.pk is not None


def test_a_guardian_of_someone_else_cannot_sign(unit_a, kit, young):
    other = kit.person_case(unit_a, birth=BIRTH, guardians=["Otto Främling"])
    stranger = Guardian.objects.get(person=other.person)
    with pytest.raises(ValidationError) as caught:
        kit.consent(
            unit_a,
            young,
            signed_on=DAY_BEFORE_15,
            valid_from=DAY_BEFORE_15,
            valid_until=DAY_BEFORE_15 + timedelta(days=90),
            guardians_signed=[*young.person.guardians.all(), stranger],
        )
    assert caught.value.message_dict["guardians_signed"] == [
        "Vårdnadshavaren hör inte till personen."
    ]


# --- property: signatory_errors against an independent oracle ---------------------------------


def oracle_accepts(age, person_signed, signed, registered, judgement) -> bool:
    """The rule of SPEC §5, written out case by case."""
    judged = bool(judgement.strip())
    if age >= 18:
        return person_signed and not signed and not judged
    if judged:  # the young person's own consent suffices; guardians may sign as well
        return person_signed
    every_guardian = bool(registered) and signed == registered
    if age >= 15:
        return person_signed and every_guardian
    return every_guardian


@st.composite
def signatures(draw):
    registered = set(range(1, draw(st.integers(0, 2)) + 1))
    signed = draw(st.sets(st.sampled_from(sorted(registered)))) if registered else set()
    return {
        "age": draw(st.integers(10, 30)),
        "person_signed": draw(st.booleans()),
        "guardians_signed": signed,
        "guardians": registered,
        "judgement": draw(st.sampled_from(["", "  ", JUDGEMENT])),
    }


@hypothesis_settings(max_examples=300, deadline=None)
@given(signatures())
def test_signatory_errors_agree_with_the_oracle(case):
    errors = rules.signatory_errors(**case)
    expected = oracle_accepts(
        case["age"],
        case["person_signed"],
        case["guardians_signed"],
        case["guardians"],
        case["judgement"],
    )
    assert (not errors) is expected, errors
    assert all(isinstance(message, str) and message for message in errors.values())
