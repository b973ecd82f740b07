"""Read queries for people; every one starts from the access policy's visible set or from the
person and decision the gate handed over."""

from dataclasses import dataclass

from django.db.models import QuerySet

from insats.access import policy
from insats.access.policy import Action
from insats.cases.models import Case

from .models import Person


def person_cases(user, person: Person) -> QuerySet[Case]:
    """The person's cases that the user may see, newest first."""
    return policy.cases_visible_to(user).filter(person=person).order_by("-year", "-sequence")


@dataclass(frozen=True)
class Contact:
    address: str
    phone: str
    email: str


@dataclass(frozen=True)
class GuardianRow:
    pk: int
    name: str
    relation: str
    contact: str | None  # None: protected from this user


@dataclass(frozen=True)
class PersonPage:
    """The person page's data, cut to the policy: contact details (the person's and the
    guardians') only for those who may see them (protected identity)."""

    contact: Contact | None
    guardians: list[GuardianRow]


def person_page(user, person: Person) -> PersonPage:
    shows_contact = bool(policy.decide_person(user, Action.VIEW_PERSON_CONTACT, person))
    contact = None
    if shows_contact:
        place = " ".join(filter(None, (person.postal_code, person.city)))
        contact = Contact(
            address=", ".join(filter(None, (person.street_address, place))),
            phone=person.phone,
            email=person.email,
        )
    guardians = [
        GuardianRow(
            pk=g.pk,
            name=g.name,
            relation=g.relation,
            contact=" ".join(filter(None, (g.phone, g.email))) if shows_contact else None,
        )
        for g in person.guardians.all()
    ]
    return PersonPage(contact=contact, guardians=guardians)
