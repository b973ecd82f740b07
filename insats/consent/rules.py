"""Who must sign a consent, by the person's age on the day of signing (SPEC §5).

Under 15: the guardian(s). 15–17: the young person and the guardian(s). 18 and over: the
person alone. A professional may judge a younger person's own consent sufficient; that
judgement must be written down.
"""

from django.utils.translation import gettext as _

PERSON = "person"
GUARDIANS = "guardians"


def required_signatories(age: int, own_consent_accepted: bool = False) -> frozenset[str]:
    if age >= 18 or own_consent_accepted:
        return frozenset({PERSON})
    if age >= 15:
        return frozenset({PERSON, GUARDIANS})
    return frozenset({GUARDIANS})


def signatory_errors(
    *,
    age: int,
    person_signed: bool,
    guardians_signed: set[int],
    guardians: set[int],
    judgement: str,
) -> dict[str, str]:
    """Field → Swedish message for every way the signatures break the age rule."""
    errors: dict[str, str] = {}
    if judgement.strip() and age >= 18:
        errors["own_consent_judgement"] = _(
            "En bedömning av den unges mognad behövs bara för den som är under 18 år."
        )
    required = required_signatories(age, own_consent_accepted=bool(judgement.strip()))
    if PERSON in required and not person_signed:
        errors["person_signed"] = _("Den enskilde måste själv samtycka (ålder %(age)s år).") % {
            "age": age
        }
    if GUARDIANS in required:
        if not guardians:
            errors["guardians_signed"] = _(
                "Personen är under 18 år: registrera vårdnadshavare innan samtycket sparas."
            )
        elif guardians_signed != guardians:
            errors["guardians_signed"] = _(
                "Alla vårdnadshavare måste samtycka när personen är under 18 år."
            )
    elif guardians_signed and age >= 18:
        errors["guardians_signed"] = _(
            "Den som fyllt 18 år samtycker själv; vårdnadshavare ska inte anges."
        )
    return errors
