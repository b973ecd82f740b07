"""Write use cases for staff safety: safety talks (create, change, sign, share) and the
coordinators' competence checklist.

Only the unit's supervisors (policy.review_units) write here; a staff member never documents,
signs or changes their own talk or checklist. Every write is logged. A signed talk is frozen:
a correction is documented as a new talk.
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.organisations.models import Unit
from insats.outbox.services import Attachment, enqueue

from . import selectors
from .models import (
    CompetenceItem,
    CompetenceRecord,
    SafetyChecklistItem,
    SafetyTalk,
    SafetyTalkItem,
)

TEMPLATE_MODELS = (SafetyChecklistItem, CompetenceItem)


def unit_copy_template_items(*, unit: Unit) -> None:
    """Give the unit its own copy of the template checklists, for each list it has no rows of.

    Called when the staff-safety pages are used, because organisations.services.unit_create
    (which copies the other lists at creation) does not know this app. A unit that has rows of
    its own — even all inactive — keeps exactly those: to drop an item, deactivate it.
    Idempotent; the unique (unit, code) constraint makes two concurrent first visits harmless.
    """
    for model in TEMPLATE_MODELS:
        if model.objects.filter(unit=unit).exists():
            continue
        copies = []
        for template in model.objects.filter(unit__isnull=True):
            template.pk = None
            template.id = None
            template.unit = unit
            copies.append(template)
        model.objects.bulk_create(copies, ignore_conflicts=True)


def _require_supervisor(by, unit_id: int) -> None:
    policy.require_supervisor(by, unit_id)


def _validate_talk(*, unit: Unit, by, employee, manager, held_on: date | None) -> dict:
    errors: dict = {}
    operative = selectors.operative_staff(unit.pk)
    if employee is None or not operative.filter(pk=employee.pk).exists():
        errors["employee"] = _("Välj en lots eller utredare i enheten.")
    elif employee.pk == by.pk:
        errors["employee"] = _(
            "Du kan inte dokumentera ditt eget säkerhetssamtal. "
            "En annan arbetsledare håller och dokumenterar det."
        )
    if manager is None or not selectors.supervisors(unit.pk).filter(pk=manager.pk).exists():
        errors["manager"] = _("Välj en arbetsledare i enheten.")
    elif employee is not None and manager.pk == employee.pk:
        errors["manager"] = _("Samtalet hålls av en annan arbetsledare än medarbetaren själv.")
    if held_on is None:
        errors["held_on"] = _("Ange datum för samtalet.")
    elif held_on > timezone.localdate():
        errors["held_on"] = _("Datumet kan inte ligga i framtiden.")
    return errors


def _frozen_error() -> ValidationError:
    return ValidationError(
        _(
            "Samtalet är undertecknat och kan inte ändras. "
            "En rättelse dokumenteras som ett nytt säkerhetssamtal."
        ),
        code="signed",
    )


# --- Who may do what with a talk they can see (the pages ask the same policy) -----------------


def _refusal(talk: SafetyTalk, user, action: policy.TalkAction) -> str:
    """Why the user may not do this to the talk, or "" when they may (policy.decide_safety_talk)."""
    decision = policy.decide_safety_talk(user, talk, action)
    return "" if decision else str(decision.reason)


def edit_refusal(talk: SafetyTalk, user) -> str:
    return _refusal(talk, user, policy.TalkAction.EDIT)


def sign_refusal(talk: SafetyTalk, user) -> str:
    return _refusal(talk, user, policy.TalkAction.SIGN)


def share_refusal(talk: SafetyTalk, user) -> str:
    return _refusal(talk, user, policy.TalkAction.SHARE)


@transaction.atomic
def talk_create(
    *,
    unit: Unit,
    by,
    employee,
    held_on: date | None,
    manager,
    notes: str = "",
    items: list[dict],
) -> SafetyTalk:
    """Document a talk; `items` has one {item, gone_through, comment} per checklist item gone
    through or not (items of the unit's own lists only)."""
    _require_supervisor(by, unit.pk)
    errors = _validate_talk(unit=unit, by=by, employee=employee, manager=manager, held_on=held_on)
    seen = set()
    for row in items:
        item = row["item"]
        if item.unit_id != unit.pk or not item.active or item.pk in seen:
            errors[NON_FIELD_ERRORS] = _(
                "Enhetens checklistor har ändrats medan du skrev. "
                "Kontrollera punkterna och spara igen."
            )
        seen.add(item.pk)
    if errors:
        raise ValidationError(errors)
    talk = SafetyTalk.objects.create(
        unit=unit,
        employee=employee,
        held_on=held_on,
        manager=manager,
        notes=notes.strip(),
        created_by=by,
    )
    SafetyTalkItem.objects.bulk_create(
        SafetyTalkItem(
            talk=talk,
            item=row["item"],
            checklist=row["item"].checklist,
            label=row["item"].label,
            position=row["item"].position,
            gone_through=bool(row.get("gone_through")),
            comment=(row.get("comment") or "").strip(),
        )
        for row in items
    )
    log.record(
        user=by,
        action=log.Action.CREATE,
        object_type="safety_talk",
        unit_id=unit.pk,
        object_id=talk.pk,
        detail=f"employee={employee.pk} held_on={held_on.isoformat()}",
    )
    return talk


@transaction.atomic
def talk_update(
    *,
    talk: SafetyTalk,
    by,
    employee,
    held_on: date | None,
    manager,
    notes: str = "",
    items: list[dict],
) -> SafetyTalk:
    """Change an unsigned talk; `items` has one {talk_item, gone_through, comment} per item of
    the talk. Refused once the talk is signed."""
    talk = SafetyTalk.objects.select_for_update().select_related("unit").get(pk=talk.pk)
    _require_supervisor(by, talk.unit_id)
    if talk.is_signed:
        raise _frozen_error()
    refusal = edit_refusal(talk, by)
    if refusal:
        raise ValidationError(refusal)
    errors = _validate_talk(
        unit=talk.unit, by=by, employee=employee, manager=manager, held_on=held_on
    )
    own = {item.pk: item for item in talk.items.all()}
    if sorted(row["talk_item"].pk for row in items) != sorted(own):
        errors[NON_FIELD_ERRORS] = _(
            "Formuläret stämmer inte med samtalets punkter. Ladda om sidan."
        )
    if errors:
        raise ValidationError(errors)
    talk.employee = employee
    talk.held_on = held_on
    talk.manager = manager
    talk.notes = notes.strip()
    talk.save()
    changed = []
    for row in items:
        item = own[row["talk_item"].pk]
        gone_through = bool(row.get("gone_through"))
        comment = (row.get("comment") or "").strip()
        if (item.gone_through, item.comment) != (gone_through, comment):
            item.gone_through, item.comment = gone_through, comment
            changed.append(item)
    SafetyTalkItem.objects.bulk_update(changed, ["gone_through", "comment"])
    log.record(
        user=by,
        action=log.Action.CHANGE,
        object_type="safety_talk",
        unit_id=talk.unit_id,
        object_id=talk.pk,
        detail=f"employee={employee.pk} held_on={held_on.isoformat()} items={len(changed)}",
    )
    return talk


@transaction.atomic
def talk_sign(*, talk: SafetyTalk, by) -> SafetyTalk:
    """Sign the talk as a supervisor of its unit other than the employee; it is then frozen."""
    talk = SafetyTalk.objects.select_for_update().get(pk=talk.pk)
    refusal = sign_refusal(talk, by)
    if refusal:
        raise ValidationError(refusal)
    talk.signed_at = timezone.now()
    talk.signed_by = by
    talk.save(update_fields=["signed_at", "signed_by"])
    log.record(
        user=by,
        action=log.Action.CHANGE,
        object_type="safety_talk",
        unit_id=talk.unit_id,
        object_id=talk.pk,
        detail="signed",
    )
    return talk


def _validate_recipient(name: str, email: str) -> dict:
    errors: dict = {}
    if not name.strip():
        errors["name"] = _("Ange säkerhetschefens eller säkerhetsstrategens namn.")
    if not email.strip():
        errors["email"] = _("Ange en e-postadress.")
    else:
        try:
            validate_email(email.strip())
        except ValidationError:
            errors["email"] = _("Ange en giltig e-postadress, t.ex. namn@kommun.se.")
    return errors


def talk_share(*, talk: SafetyTalk, by, name: str, email: str) -> SafetyTalk:
    """Send the signed talk as a PDF to the security officer and record that it was shared.

    The PDF is made before the talk's row is locked (WeasyPrint takes its time); the e-mail is
    enqueued in the transaction that records the share, and the outbox delivers it after
    commit, with retries, so the supervisor never waits on the mail server and a rolled-back
    share sends nothing. Sharing again (e.g. to a new officer) records the latest; the access
    log keeps every one.
    """
    from .pdf import talk_pdf  # WeasyPrint is heavy; only load it when a PDF is made

    refusal = share_refusal(talk, by)
    if refusal:
        raise ValidationError(refusal)
    errors = _validate_recipient(name, email)
    if errors:
        raise ValidationError(errors)
    name, email = name.strip(), email.strip()
    shown = selectors.talk_with_people(talk.pk)
    with translation.override(settings.LANGUAGE_CODE):
        pdf = talk_pdf(shown)
        values = {
            "name": name,
            "employee": shown.employee.get_full_name() or shown.employee.get_username(),
            "date": shown.held_on.isoformat(),
            "unit": shown.unit.name,
            "signer": shown.signed_by.get_full_name() or shown.signed_by.get_username(),
            "signed": timezone.localtime(shown.signed_at).date().isoformat(),
            "by": by.get_full_name() or by.get_username(),
        }
        subject = _("Säkerhetssamtal med %(employee)s %(date)s – %(unit)s") % values
        body = (
            _(
                "Hej %(name)s,\n\nBifogat finns dokumentationen av säkerhetssamtalet med "
                "%(employee)s den %(date)s, undertecknad av %(signer)s den %(signed)s.\n\n"
                "Med vänlig hälsning\n%(by)s, %(unit)s"
            )
            % values
        )
    filename = f"sakerhetssamtal-{shown.held_on:%Y-%m-%d}-{shown.pk}.pdf"
    with transaction.atomic():
        talk = SafetyTalk.objects.select_for_update().get(pk=talk.pk)
        refusal = share_refusal(talk, by)  # again under the lock: it may have changed meanwhile
        if refusal:
            raise ValidationError(refusal)
        today = timezone.localdate()
        enqueue(  # a signed talk is frozen, so the PDF made above is still what was signed
            key=f"safety-talk-share:{talk.pk}:{email.lower()}:{today}",
            to=[email],
            subject=subject,
            body=body,
            attachments=[Attachment(filename, pdf, "application/pdf")],
        )
        talk.shared_on = today
        talk.shared_with_name = name
        talk.shared_with_email = email
        talk.shared_by = by
        talk.save(update_fields=["shared_on", "shared_with_name", "shared_with_email", "shared_by"])
        log.record(
            user=by,
            action=log.Action.EXPORT,
            object_type="safety_talk",
            unit_id=talk.unit_id,
            object_id=talk.pk,
            detail=f"shared_with={email}",
        )
    return talk


@transaction.atomic
def competence_save(*, unit: Unit, coordinator, by, rows: list[dict]) -> int:
    """Keep the coordinator's checklist: `rows` has one {item, met_on, note} per requirement.
    Returns how many requirements changed."""
    _require_supervisor(by, unit.pk)
    if coordinator.pk == by.pk:
        raise ValidationError(_("Du kan inte ändra din egen kompetenschecklista."))
    if not selectors.coordinators(unit.pk).filter(pk=coordinator.pk).exists():
        raise ValidationError(_("Personen är inte lots/samordnare i enheten."))
    errors: dict = {}
    today = timezone.localdate()
    for row in rows:
        item = row["item"]
        if item.unit_id != unit.pk:
            errors[NON_FIELD_ERRORS] = _(
                "Enhetens kompetenskrav har ändrats medan du skrev. "
                "Kontrollera uppgifterna och spara igen."
            )
        elif row.get("met_on") and row["met_on"] > today:
            errors[NON_FIELD_ERRORS] = _("Datumet kan inte ligga i framtiden.")
    if errors:
        raise ValidationError(errors)
    existing = {
        r.item_id: r
        for r in CompetenceRecord.objects.select_for_update().filter(
            unit=unit, coordinator=coordinator
        )
    }
    changed = []
    for row in rows:
        item, met_on, note = row["item"], row.get("met_on"), (row.get("note") or "").strip()
        record = existing.get(item.pk)
        if record is None:
            if met_on is None and not note:
                continue
            CompetenceRecord.objects.create(
                unit=unit,
                coordinator=coordinator,
                item=item,
                met_on=met_on,
                note=note,
                updated_by=by,
            )
        elif (record.met_on, record.note) != (met_on, note):
            record.met_on, record.note, record.updated_by = met_on, note, by
            record.save()
        else:
            continue
        changed.append(item.code)
    if changed:
        log.record(
            user=by,
            action=log.Action.CHANGE,
            object_type="competence",
            unit_id=unit.pk,
            object_id=coordinator.pk,
            detail=f"items={','.join(changed)}",
        )
    return len(changed)
