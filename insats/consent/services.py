"""Write use cases for consent, case membership and disclosures without consent.

Every write checks the access policy, validates with Swedish messages and writes the access
log inside the same transaction, so a rolled-back write leaves no log entry behind.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.gate.consent import require
from insats.cases.lifecycle import State, Transition
from insats.cases.models import Case, CaseMember
from insats.core.integrity import only_one
from insats.organisations.models import NO_CASE_CONTENT_ROLES, Membership, Organisation

from . import files as scan_files
from . import rules
from .files import validate_scan
from .models import Consent, Disclosure, EndReason


def _require(user, action, case) -> policy.Decision:
    return require(policy.decide_case(user, action, case))


@transaction.atomic
def consent_create(
    *,
    case: Case,
    by,
    organisations,
    categories,
    place: str,
    signed_on: date,
    valid_from: date,
    valid_until: date,
    officer_name: str,
    officer_phone: str,
    officer_organisation: Organisation,
    person_signed: bool = False,
    guardians_signed=(),
    own_consent_judgement: str = "",
    form: str = Consent.Form.WRITTEN,
    oral_received_by: str = "",
    research_follow_up: bool = False,
    network_members=(),
) -> Consent:
    """Record a consent; refuse one that breaks the age rule or is not specific enough."""
    decision = _require(by, policy.Action.MANAGE_CONSENT, case)
    errors: dict[str, str] = {}
    if case.person is None:
        raise ValidationError(_("Identifiera ärendet innan samtycke registreras."))
    organisations, categories = list(organisations), list(categories)
    guardians_signed, network_members = list(guardians_signed), list(network_members)
    if not organisations:
        errors["organisations"] = _("Samtycket måste gälla minst en organisation.")
    elif any(o.unit_id != case.unit_id for o in organisations):
        errors["organisations"] = _("Organisationen hör inte till enhetens samverkan.")
    if not categories:
        errors["categories"] = _("Samtycket måste gälla minst en uppgiftskategori.")
    elif any(c.unit_id != case.unit_id for c in categories):
        errors["categories"] = _("Kategorin finns inte i enhetens lista.")
    if officer_organisation.unit_id != case.unit_id:
        errors["officer_organisation"] = _("Organisationen hör inte till enhetens samverkan.")
    if valid_until < valid_from:
        errors["valid_until"] = _("Samtycket kan inte upphöra innan det börjar gälla.")
    if signed_on > timezone.localdate():
        errors["signed_on"] = _("Datumet för samtycket kan inte ligga i framtiden.")
    if form == Consent.Form.ORAL and not oral_received_by.strip():
        errors["oral_received_by"] = _("Ange vem som tog emot det muntliga samtycket.")
    if any(m.case_id != case.pk or not m.is_external for m in network_members):
        errors["network_members"] = _("Välj personer ur ärendets nätverk.")
    guardians = set(case.person.guardians.values_list("pk", flat=True))
    if not {g.pk for g in guardians_signed} <= guardians:
        errors["guardians_signed"] = _("Vårdnadshavaren hör inte till personen.")
    else:
        errors.update(
            rules.signatory_errors(
                age=case.person.age(signed_on),
                person_signed=person_signed,
                guardians_signed={g.pk for g in guardians_signed},
                guardians=guardians,
                judgement=own_consent_judgement,
            )
        )
    if errors:
        raise ValidationError(errors)
    consent = Consent.objects.create(
        case=case,
        place=place,
        signed_on=signed_on,
        valid_from=valid_from,
        valid_until=valid_until,
        officer_name=officer_name,
        officer_phone=officer_phone,
        officer_organisation=officer_organisation,
        person_signed=person_signed,
        own_consent_judgement=own_consent_judgement.strip(),
        form=form,
        oral_received_by=oral_received_by.strip(),
        research_follow_up=research_follow_up,
        recorded_by=by,
    )
    consent.organisations.set(organisations)
    consent.categories.set(categories)
    consent.guardians_signed.set(guardians_signed)
    consent.network_members.set(network_members)
    log.record(
        user=by,
        action=log.Action.CREATE,
        object_type="consent",
        case=case,
        object_id=consent.pk,
        grounds=decision.grounds,
    )
    return consent


@transaction.atomic
def consent_revoke(*, consent: Consent, by, revoked_on: date, how: str) -> Consent:
    """Revocation ends every partner's access at once (the policy reads it on each request).

    It is recorded on a closed case too: a consent that the closing of the case ended can
    still be revoked, and the person's revocation belongs on file.
    """
    decision = _require(by, policy.Action.REVOKE_CONSENT, consent.case)
    if consent.revoked_on is not None:
        raise ValidationError(_("Samtycket är redan återkallat."))
    errors = {}
    if revoked_on > timezone.localdate():
        errors["revoked_on"] = _("Datumet kan inte ligga i framtiden.")
    if not how.strip():
        errors["how"] = _("Ange hur samtycket återkallades.")
    if errors:
        raise ValidationError(errors)
    consent.revoked_on = revoked_on
    consent.revoked_how = how.strip()
    consent.revoked_by = by
    consent.revocation_recorded_at = timezone.now()
    consent.save(
        update_fields=["revoked_on", "revoked_how", "revoked_by", "revocation_recorded_at"]
    )
    log.record(
        user=by,
        action=log.Action.CHANGE,
        object_type="consent",
        case=consent.case,
        object_id=consent.pk,
        grounds=decision.grounds,
        detail="revoked",
    )
    return consent


@transaction.atomic
def consents_end_with_case(
    *, case: Case, by, transition: Transition, decision: policy.Decision
) -> list[Consent]:
    """Closing a case ends every partner ground it gave: each consent that is neither revoked,
    ended nor expired is ended today, with the closing as its reason, and logged.

    Run by the lifecycle inside the closing move's transaction (see ConsentConfig.ready), so no
    path closes a case and leaves a partner reading it. Reopening revives none of them:
    partners see the case again only under a consent registered after the reopening.
    """
    today = timezone.localdate()
    reason = EndReason.DISCHARGE if transition.target == State.DISCHARGED else EndReason.CLOSED
    consents = list(
        Consent.objects.select_for_update().filter(
            case=case, revoked_on__isnull=True, ended_on__isnull=True, valid_until__gte=today
        )
    )
    for consent in consents:
        consent.ended_on = today
        consent.end_reason = reason
        consent.save(update_fields=["ended_on", "end_reason"])
        log.record(
            user=by,
            action=log.Action.CHANGE,
            object_type="consent",
            case=case,
            object_id=consent.pk,
            grounds=decision.grounds,
            detail=f"ended: {reason}",
        )
    return consents


@transaction.atomic
def consent_attach_scan(*, consent: Consent, by, upload) -> Consent:
    """Store a (new or replacing) scan the way the database stores rows: the new file is
    written under a new name first, the row names it in this transaction, and the old file is
    removed only after commit; a rollback leaves the old file and row as they were."""
    decision = _require(by, policy.Action.MANAGE_CONSENT, consent.case)
    content_type = validate_scan(upload)
    # The row locked and read again: a concurrent replacement's file is the one to remove.
    old_name = Consent.objects.select_for_update().values_list("scan", flat=True).get(pk=consent.pk)
    storage = consent.scan.storage
    new_name = scan_files.write_new(
        consent.scan, scan_files.scan_name(consent.pk, content_type), upload
    )
    try:
        consent.scan_content_type = content_type
        consent.scan_uploaded_at = timezone.now()
        consent.save(update_fields=["scan", "scan_content_type", "scan_uploaded_at"])
        log.record(
            user=by,
            action=log.Action.CHANGE,
            object_type="consent_scan",
            case=consent.case,
            object_id=consent.pk,
            grounds=decision.grounds,
        )
    except BaseException:
        # This write is rolled back: the row keeps naming the old file, the new one goes.
        consent.scan.name = old_name
        scan_files.discard(storage, new_name)
        raise
    if old_name and old_name != new_name:
        scan_files.remove_after_commit(storage, old_name)
    return consent


def _is_member(case: Case, user) -> bool:
    return case.members.filter(user=user, removed_at__isnull=True).exists()


@transaction.atomic
def member_add_user(*, case: Case, by, user, organisation: Organisation, function: str = ""):
    decision = _require(by, policy.Action.MANAGE_MEMBERS, case)
    if (
        organisation.unit_id != case.unit_id
        or not user.memberships.filter(organisation=organisation, active=True)
        .exclude(role__in=NO_CASE_CONTENT_ROLES)
        .exists()
    ):
        raise ValidationError(
            {"user": _("Användaren har ingen roll i den organisationen i enhetens samverkan.")}
        )
    already = {"user": _("Användaren är redan med i gruppen.")}
    if _is_member(case, user):
        raise ValidationError(already)
    # Two requests can pass the check together; the constraint stops the second.
    with only_one(CaseMember, "casemember_unique_active_user", already):
        member = CaseMember.objects.create(
            case=case,
            user=user,
            organisation=organisation,
            function=function,
            added_by=by,
            has_confidentiality_duty=True,
        )
    log.record(
        user=by,
        action=log.Action.CREATE,
        object_type="case_member",
        case=case,
        object_id=member.pk,
        grounds=decision.grounds,
        detail=f"user={user.pk}",
    )
    return member


@transaction.atomic
def member_add_external(
    *,
    case: Case,
    by,
    name: str,
    function: str = "",
    phone: str = "",
    email: str = "",
    has_confidentiality_duty: bool = False,
):
    """A person without an account, e.g. a football coach the young person has chosen."""
    decision = _require(by, policy.Action.MANAGE_MEMBERS, case)
    if not name.strip():
        raise ValidationError({"name": _("Ange namn.")})
    member = CaseMember.objects.create(
        case=case,
        name=name.strip(),
        function=function,
        phone=phone,
        email=email,
        has_confidentiality_duty=has_confidentiality_duty,
        added_by=by,
    )
    log.record(
        user=by,
        action=log.Action.CREATE,
        object_type="case_member",
        case=case,
        object_id=member.pk,
        grounds=decision.grounds,
        detail="external",
    )
    return member


@transaction.atomic
def member_remove(*, member: CaseMember, by) -> CaseMember:
    decision = _require(by, policy.Action.MANAGE_MEMBERS, member.case)
    if member.removed_at is not None:
        raise ValidationError(_("Medlemmen är redan borttagen."))
    member.removed_at = timezone.now()
    member.removed_by = by
    member.save(update_fields=["removed_at", "removed_by"])
    log.record(
        user=by,
        action=log.Action.CHANGE,
        object_type="case_member",
        case=member.case,
        object_id=member.pk,
        grounds=decision.grounds,
        detail="removed",
    )
    return member


@transaction.atomic
def disclosure_record(
    *,
    case: Case,
    by,
    information: str,
    to_organisation: Organisation,
    disclosed_on: date,
    legal_basis,
    to_person: str = "",
    note: str = "",
) -> Disclosure:
    decision = _require(by, policy.Action.RECORD_DISCLOSURE, case)
    errors = {}
    if not information.strip():
        errors["information"] = _("Beskriv vilka uppgifter som lämnades.")
    if to_organisation.unit_id != case.unit_id:
        errors["to_organisation"] = _("Organisationen hör inte till enhetens samverkan.")
    if legal_basis.unit_id != case.unit_id or legal_basis.kind != "disclosure":
        errors["legal_basis"] = _("Välj ett lagrum ur enhetens lista för utlämnanden.")
    if disclosed_on > timezone.localdate():
        errors["disclosed_on"] = _("Datumet kan inte ligga i framtiden.")
    if errors:
        raise ValidationError(errors)
    disclosure = Disclosure.objects.create(
        case=case,
        information=information.strip(),
        to_organisation=to_organisation,
        to_person=to_person,
        disclosed_on=disclosed_on,
        legal_basis=legal_basis,
        note=note,
        disclosed_by=by,
    )
    log.record(
        user=by,
        action=log.Action.CREATE,
        object_type="disclosure",
        case=case,
        object_id=disclosure.pk,
        grounds=(*decision.grounds, f"legal_basis:{legal_basis.code}"),
    )
    return disclosure


def partner_users_for(case: Case):
    """Users who can be added to the group: anyone with a role in the unit's organisations."""
    return (
        Membership.objects.filter(organisation__unit_id=case.unit_id, active=True)
        .exclude(role__in=NO_CASE_CONTENT_ROLES)
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__first_name")
    )
