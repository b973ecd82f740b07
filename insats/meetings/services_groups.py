"""The unit's collaboration structure (SPEC §2): its steering, operational and preparation
groups and their members, the contact list for collaboration (appendix 1), the local agreements
and situation picture, and the yearly district checklist.

All of it is the unit's, kept by its social-services staff: every change checks that the user
works in the unit's social services and is written to the access log.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.cases.lifecycle import STAFF
from insats.core.integrity import only_one
from insats.organisations.models import Membership, Organisation, Role, Unit

from .models import Agreement, Contact, DistrictChecklist, Group, GroupMember

# Roles that can sit in a group as a user: the unit's social services and its partners.
MEMBER_ROLES = frozenset({*STAFF, Role.PARTNER})
MAX_RHYTHM_DAYS = 365


def _check_organisation(organisation: Organisation | None, unit: Unit, errors: dict) -> None:
    if organisation is None:
        errors["organisation"] = _("Välj organisation.")
    elif organisation.unit_id != unit.pk:
        errors["organisation"] = _("Välj en av enhetens organisationer.")


# --- Groups -----------------------------------------------------------------------------------


@transaction.atomic
def group_save(
    *,
    unit: Unit,
    by,
    group: Group | None = None,
    kind: str,
    name: str,
    rhythm_days: int | None,
    active: bool = True,
) -> Group:
    """Create a group of the unit (group=None) or change one."""
    policy.require_staff(by, unit.pk)
    if group is not None and group.unit_id != unit.pk:
        raise PermissionDenied(_("Gruppen hör till en annan enhet."))
    name = name.strip()
    errors: dict = {}
    if kind not in Group.Kind.values:
        errors["kind"] = _("Välj vilken nivå gruppen hör till.")
    if not name:
        errors["name"] = _("Ange gruppens namn.")
    if rhythm_days is None:
        errors["rhythm_days"] = _("Ange hur ofta gruppen möts, i dagar.")
    elif not 1 <= rhythm_days <= MAX_RHYTHM_DAYS:
        errors["rhythm_days"] = _("Ange mötesrytmen som 1–%(max)s dagar.") % {
            "max": MAX_RHYTHM_DAYS
        }
    if errors:
        raise ValidationError(errors)
    created = group is None
    if created:
        group = Group(unit=unit)
    group.kind = kind
    group.name = name
    group.rhythm_days = rhythm_days
    group.active = active
    group.save()
    log.record(
        user=by,
        action=log.Action.CREATE if created else log.Action.CHANGE,
        object_type="group",
        unit_id=unit.pk,
        object_id=group.pk,
        detail=f"kind={kind} rhythm={rhythm_days} active={int(active)}",
    )
    return group


def member_candidates(unit: Unit):
    """Memberships whose user may be added to the unit's groups: staff and partners."""
    return (
        Membership.objects.filter(
            organisation__unit_id=unit.pk,
            active=True,
            role__in=MEMBER_ROLES,
            user__is_active=True,
        )
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__first_name", "user__last_name", "pk")
    )


def _is_member(group: Group, user) -> bool:
    return group.members.filter(user=user, removed_at__isnull=True).exists()


@transaction.atomic
def member_add(
    *,
    group: Group,
    by,
    organisation: Organisation | None,
    user=None,
    name: str = "",
    email: str = "",
    function: str = "",
) -> GroupMember:
    """Add a user of the unit, or a named person without an account, to the group."""
    policy.require_staff(by, group.unit_id)
    name, email, function = name.strip(), email.strip(), function.strip()
    errors: dict = {}
    already = _("Användaren är redan med i gruppen.")
    _check_organisation(organisation, group.unit, errors)
    if user is not None:
        if name or email:
            errors["name"] = _("Välj en användare eller skriv namn och e-post, inte båda.")
        elif (
            "organisation" not in errors
            and not member_candidates(group.unit)
            .filter(user=user, organisation=organisation)
            .exists()
        ):
            errors["user"] = _(
                "Användaren har ingen aktiv roll i den organisationen inom enhetens samverkan."
            )
        elif _is_member(group, user):
            errors["user"] = already
    else:
        if not name:
            errors["name"] = _("Ange personens namn.")
        if not email:
            errors["email"] = _("Ange personens e-postadress, så att kallelser kan skickas.")
    if errors:
        raise ValidationError(errors)
    # Two requests can pass the check together; the constraint stops the second.
    with only_one(GroupMember, "groupmember_unique_active_user", {"user": already}):
        member = GroupMember.objects.create(
            group=group,
            user=user,
            name="" if user is not None else name,
            email="" if user is not None else email,
            organisation=organisation,
            function=function,
        )
    log.record(
        user=by,
        action=log.Action.CREATE,
        object_type="group_member",
        unit_id=group.unit_id,
        object_id=member.pk,
        detail=f"group={group.pk} " + (f"user={user.pk}" if user is not None else "external"),
    )
    return member


@transaction.atomic
def member_remove(*, member: GroupMember, by) -> GroupMember:
    """End a membership; the row stays so that earlier meetings still show who was there."""
    policy.require_staff(by, member.group.unit_id)
    if member.removed_at is None:
        member.removed_at = timezone.now()
        member.save(update_fields=["removed_at"])
        log.record(
            user=by,
            action=log.Action.CHANGE,
            object_type="group_member",
            unit_id=member.group.unit_id,
            object_id=member.pk,
            detail=f"group={member.group_id} removed",
        )
    return member


def last_meeting_day(group: Group) -> date | None:
    """The day of the group's latest meeting that was not cancelled, if any."""
    from .models import Meeting

    meeting = (
        group.meetings.exclude(status=Meeting.Status.CANCELLED)
        .order_by("-starts_at", "-pk")
        .only("starts_at")
        .first()
    )
    return timezone.localdate(meeting.starts_at) if meeting is not None else None


def next_meeting_date(group: Group, last_meeting_day: date | None) -> date:
    """The suggested day of the group's next meeting: the last one plus the group's rhythm,
    or today plus the rhythm when the group has not met yet."""
    start = last_meeting_day if last_meeting_day is not None else timezone.localdate()
    return start + timedelta(days=group.rhythm_days)


# --- The contact list -------------------------------------------------------------------------


def review_cutoff(unit: Unit, today: date | None = None) -> date:
    """Contacts last reviewed before this day are due for review."""
    today = today or timezone.localdate()
    return today - relativedelta(months=unit.contact_review_months)


def is_due(contact: Contact, cutoff: date) -> bool:
    return contact.last_reviewed_on < cutoff


@dataclass
class ContactRow:
    contact: Contact
    due: bool


def contact_rows(contacts, cutoff: date) -> list[ContactRow]:
    return [ContactRow(contact, is_due(contact, cutoff)) for contact in contacts]


@transaction.atomic
def contact_save(
    *,
    unit: Unit,
    by,
    contact: Contact | None = None,
    organisation: Organisation | None,
    name: str,
    function: str = "",
    phone: str = "",
    email: str = "",
    last_reviewed_on: date | None,
) -> Contact:
    """Add a contact to the unit's list (contact=None) or change one."""
    policy.require_staff(by, unit.pk)
    if contact is not None and contact.unit_id != unit.pk:
        raise PermissionDenied(_("Kontakten hör till en annan enhet."))
    name, function, phone, email = name.strip(), function.strip(), phone.strip(), email.strip()
    errors: dict = {}
    _check_organisation(organisation, unit, errors)
    if not name:
        errors["name"] = _("Ange kontaktpersonens namn.")
    if not phone and not email:
        errors["phone"] = _("Ange telefonnummer eller e-postadress.")
    if last_reviewed_on is None:
        errors["last_reviewed_on"] = _("Ange när uppgifterna senast kontrollerades.")
    elif last_reviewed_on > timezone.localdate():
        errors["last_reviewed_on"] = _("Datumet kan inte ligga i framtiden.")
    if errors:
        raise ValidationError(errors)
    created = contact is None
    if created:
        contact = Contact(unit=unit)
    contact.organisation = organisation
    contact.name = name
    contact.function = function
    contact.phone = phone
    contact.email = email
    contact.last_reviewed_on = last_reviewed_on
    contact.save()
    log.record(
        user=by,
        action=log.Action.CREATE if created else log.Action.CHANGE,
        object_type="contact",
        unit_id=unit.pk,
        object_id=contact.pk,
        detail=f"organisation={organisation.pk}",
    )
    return contact


@transaction.atomic
def contact_mark_reviewed(*, contact: Contact, by, today: date | None = None) -> Contact:
    """The contact's details were checked today and still hold."""
    policy.require_staff(by, contact.unit_id)
    contact.last_reviewed_on = today or timezone.localdate()
    contact.save(update_fields=["last_reviewed_on"])
    log.record(
        user=by,
        action=log.Action.CHANGE,
        object_type="contact",
        unit_id=contact.unit_id,
        object_id=contact.pk,
        detail=f"reviewed={contact.last_reviewed_on.isoformat()}",
    )
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, by) -> None:
    policy.require_staff(by, contact.unit_id)
    pk, unit_id = contact.pk, contact.unit_id
    contact.delete()
    log.record(
        user=by,
        action=log.Action.CHANGE,
        object_type="contact",
        unit_id=unit_id,
        object_id=pk,
        detail="deleted",
    )


# --- Agreements and the situation picture -----------------------------------------------------


@transaction.atomic
def agreement_save(
    *,
    unit: Unit,
    by,
    agreement: Agreement | None = None,
    kind: str,
    title: str,
    parties: str = "",
    summary: str = "",
    dated_on: date | None,
    review_on: date | None,
) -> Agreement:
    """Add an agreement or situation picture (agreement=None) or change one.

    A new review date is reminded anew: the reminder mark is cleared when the date changes.
    """
    policy.require_staff(by, unit.pk)
    if agreement is not None and agreement.unit_id != unit.pk:
        raise PermissionDenied(_("Överenskommelsen hör till en annan enhet."))
    title = title.strip()
    errors: dict = {}
    if kind not in Agreement.Kind.values:
        errors["kind"] = _("Välj om det är en överenskommelse eller en lägesbild.")
    if not title:
        errors["title"] = _("Ange en rubrik.")
    if dated_on is None:
        errors["dated_on"] = _("Ange när dokumentet är daterat.")
    if review_on is None:
        errors["review_on"] = _("Ange när dokumentet senast ska ses över.")
    elif dated_on is not None and review_on <= dated_on:
        errors["review_on"] = _("Översynen ska ligga efter dateringen.")
    if errors:
        raise ValidationError(errors)
    created = agreement is None
    fields = ["kind", "title", "parties", "summary", "dated_on", "review_on"]
    if created:
        agreement = Agreement(unit=unit)
    elif agreement.review_on != review_on:
        agreement.review_reminded_on = None
        fields.append("review_reminded_on")
    agreement.kind = kind
    agreement.title = title
    agreement.parties = parties.strip()
    agreement.summary = summary.strip()
    agreement.dated_on = dated_on
    agreement.review_on = review_on
    # The reminder mark is the job's: it is written only when the date changes.
    agreement.save(update_fields=None if created else fields)
    log.record(
        user=by,
        action=log.Action.CREATE if created else log.Action.CHANGE,
        object_type="agreement",
        unit_id=unit.pk,
        object_id=agreement.pk,
        detail=f"kind={kind} review_on={review_on.isoformat()}",
    )
    return agreement


def is_overdue(agreement: Agreement, today: date) -> bool:
    return agreement.review_on < today


# --- The district checklist -------------------------------------------------------------------


QUESTION_CODES = tuple(code for code, _label in DistrictChecklist.QUESTIONS)
FIRST_YEAR = 2000


def yes_count(checklist: DistrictChecklist) -> int:
    answers = checklist.answers or {}
    return sum(1 for code in QUESTION_CODES if (answers.get(code) or {}).get("yes") is True)


@dataclass
class Answer:
    code: str
    question: str
    yes: bool | None
    note: str


def answers_of(checklist: DistrictChecklist | None) -> list[Answer]:
    """The eight questions with the year's answers (None: not answered)."""
    answers = (checklist.answers or {}) if checklist is not None else {}
    rows = []
    for code, question in DistrictChecklist.QUESTIONS:
        answer = answers.get(code) or {}
        rows.append(Answer(code, str(question), answer.get("yes"), answer.get("note", "")))
    return rows


def _locked_checklist(unit: Unit, year: int) -> DistrictChecklist | None:
    return DistrictChecklist.objects.select_for_update().filter(unit=unit, year=year).first()


@transaction.atomic
def checklist_save(*, unit: Unit, by, year: int, answers: dict) -> DistrictChecklist:
    """Save the year's answers: {code: {"yes": bool, "note": str}} for each of the questions."""
    policy.require_staff(by, unit.pk)
    if not FIRST_YEAR <= year <= timezone.localdate().year:
        raise ValidationError(_("Checklistan kan bara fyllas i för i år och tidigare år."))
    errors: dict = {}
    cleaned = {}
    for code in QUESTION_CODES:
        answer = answers.get(code) or {}
        yes = answer.get("yes")
        if not isinstance(yes, bool):
            errors[code] = _("Svara ja eller nej.")
            continue
        cleaned[code] = {"yes": yes, "note": str(answer.get("note") or "").strip()}
    if errors:
        raise ValidationError(errors)
    checklist = _locked_checklist(unit, year)
    created = checklist is None
    if created:
        checklist = DistrictChecklist(unit=unit, year=year)
    checklist.answers = cleaned
    checklist.answered_by = by
    # Two first saves of the year can both find no row (nothing to lock); the second is told
    # rather than silently replacing answers it never saw.
    with only_one(
        DistrictChecklist,
        "districtchecklist_one_per_year",
        _("Någon annan sparade checklistan samtidigt. Kontrollera svaren och spara igen."),
    ):
        checklist.save()
    log.record(
        user=by,
        action=log.Action.CREATE if created else log.Action.CHANGE,
        object_type="district_checklist",
        unit_id=unit.pk,
        object_id=checklist.pk,
        detail=f"year={year} yes={yes_count(checklist)}",
    )
    return checklist
