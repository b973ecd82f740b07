"""Consent, group membership and disclosure pages of a case, and the unit's disclosure register."""

import logging
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from insats.access import log, policy
from insats.access.gate import case_view
from insats.access.gate.consent import (
    ACTIVE_MEMBER,
    CONSENT,
    CONSENT_SCAN,
    case_view_post,
    unit_page,
)
from insats.access.policy import Action
from insats.cases.models import Case
from insats.core.forms import add_service_errors
from insats.documents.pdf import pdf_response, render_pdf
from insats.organisations.models import InformationCategory, LegalReference, Organisation

from . import rules, selectors, services
from .forms import (
    ConsentForm,
    DisclosureForm,
    MemberExternalForm,
    MemberUserForm,
    RevokeForm,
    ScanForm,
)
from .models import Consent

logger = logging.getLogger(__name__)


def _detail_page(request, case: Case, consent: Consent, scan_form, status: int = 200):
    return render(
        request,
        "consent/consent_detail.html",
        {
            "case": case,
            "consent": consent,
            "status": consent.status(),
            "scan_form": scan_form,
            # A closed case takes no new scans, but a revocation is still recorded.
            "may_upload": policy.decide_case(request.user, Action.MANAGE_CONSENT, case),
            "may_revoke": consent.revoked_on is None
            and policy.decide_case(request.user, Action.REVOKE_CONSENT, case),
        },
        status=status,
    )


@case_view(action=Action.MANAGE_CONSENT)
def consent_create(request, case, decision):
    if case.person is None:
        messages.error(request, _("Identifiera ärendet innan samtycke registreras."))
        return redirect("case_detail", pk=case.pk)
    form = ConsentForm(request.POST or None, case=case, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.consent_create(case=case, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Samtycket är registrerat."))
            return redirect("consent_detail", pk=case.pk, consent_pk=consent.pk)
    age = case.person.age()
    return render(
        request,
        "consent/consent_form.html",
        {
            "case": case,
            "form": form,
            "age": age,
            "rule": _signatory_rule_text(age),
        },
    )


@case_view(action=Action.VIEW_CONSENT, object_type="consent", child=CONSENT)
def consent_detail(request, case, decision, consent):
    return _detail_page(request, case, consent, ScanForm())


@case_view(action=Action.REVOKE_CONSENT, child=CONSENT)
def consent_revoke(request, case, decision, consent):
    form = RevokeForm(request.POST or None, initial={"revoked_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        was_ground = consent.is_active()
        try:
            services.consent_revoke(
                consent=consent,
                by=request.user,
                revoked_on=form.cleaned_data["revoked_on"],
                how=form.cleaned_data["how"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Samtycket är återkallat. Parternas åtkomst upphörde direkt.")
                if was_ground
                else _("Återkallelsen av samtycket är registrerad."),
            )
            return redirect("consent_detail", pk=case.pk, consent_pk=consent.pk)
    return render(
        request, "consent/consent_revoke.html", {"case": case, "consent": consent, "form": form}
    )


@case_view(
    action=Action.VIEW_CONSENT, log_as=log.Action.PRINT, object_type="consent_form", child=CONSENT
)
def consent_pdf(request, case, decision, consent):
    """The filled-in form of a recorded consent, for signing or the file, with its status."""
    context = _pdf_context(
        case,
        organisations=consent.organisations.all(),
        categories=consent.categories.all(),
        network_members=consent.network_members.all(),
        valid_from=consent.valid_from,
        valid_until=consent.valid_until,
        place=consent.place,
        signed_on=consent.signed_on,
        officer=(consent.officer_name, consent.officer_phone, consent.officer_organisation),
        judgement=bool(consent.own_consent_judgement),
        blank=False,
    )
    context["consent"] = consent
    pdf = render_pdf("documents/consent.html", context, request=request)
    return pdf_response(pdf, f"samtycke-{case.number}.pdf")


@case_view(action=Action.MANAGE_CONSENT, log_as=log.Action.PRINT, object_type="consent_form")
def consent_blank_pdf(request, case, decision):
    """The form to be signed, before the consent is recorded, filled from the case."""
    if case.person is None:
        raise Http404
    form = ConsentForm(request.GET or None, case=case, user=request.user)
    form.is_valid()  # use whatever the user has filled in so far; the rest stays blank
    data = getattr(form, "cleaned_data", {})
    organisations = data.get("organisations") or Organisation.objects.filter(
        unit=case.unit
    ).exclude(kind="social_services")
    categories = data.get("categories") or InformationCategory.objects.filter(
        unit=case.unit, active=True
    )
    today = timezone.localdate()
    context = _pdf_context(
        case,
        organisations=organisations,
        categories=categories,
        network_members=data.get("network_members") or [],
        valid_from=data.get("valid_from") or form.initial["valid_from"],
        valid_until=data.get("valid_until") or form.initial["valid_until"],
        place=data.get("place", ""),
        signed_on=data.get("signed_on") or today,
        officer=(
            data.get("officer_name") or form.initial["officer_name"],
            data.get("officer_phone") or form.initial["officer_phone"],
            data.get("officer_organisation") or form.initial["officer_organisation"],
        ),
        judgement=bool(data.get("own_consent_judgement")),
        blank=not data.get("organisations"),
    )
    pdf = render_pdf("documents/consent.html", context, request=request)
    return pdf_response(pdf, f"samtyckesblankett-{case.number}.pdf")


def _pdf_context(
    case,
    *,
    organisations,
    categories,
    network_members,
    valid_from,
    valid_until,
    place,
    signed_on,
    officer,
    judgement,
    blank,
) -> dict:
    person = case.person
    age = person.age(signed_on)
    required = rules.required_signatories(age, own_consent_accepted=judgement)
    lines = []
    if rules.PERSON in required:
        lines.append(_("Den enskilde: %(name)s") % {"name": person.full_name})
    if rules.GUARDIANS in required:
        guardians = list(person.guardians.all())
        lines += [_("Vårdnadshavare: %(name)s") % {"name": g.name} for g in guardians] or [
            _("Vårdnadshavare"),
            _("Vårdnadshavare"),
        ]
    legal = LegalReference.objects.filter(
        unit=case.unit, kind=LegalReference.Kind.CONSENT, active=True
    ).first()
    return {
        "case": case,
        "person": person,
        "organisations": organisations,
        "categories": categories,
        "network_members": network_members,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "place": place,
        "signed_on": signed_on,
        "officer_name": officer[0],
        "officer_phone": officer[1],
        "officer_organisation": officer[2],
        "signature_lines": lines,
        "signatory_rule": _signatory_rule_text(age, judgement),
        "legal_text": legal.text if legal else "",
        "blank": blank,
    }


def _signatory_rule_text(age: int, judgement: bool = False) -> str:
    if judgement and age < 18:
        return _(
            "Den unge är %(age)s år och har bedömts mogen att samtycka själv; "
            "bedömningen är dokumenterad."
        ) % {"age": age}
    if age >= 18:
        return _("Personen är %(age)s år och samtycker själv.") % {"age": age}
    if age >= 15:
        return _("Den unge är %(age)s år: både den unge och vårdnadshavarna ska samtycka.") % {
            "age": age
        }
    return _("Den unge är %(age)s år: vårdnadshavarna ska samtycka.") % {"age": age}


@case_view(action=Action.MANAGE_CONSENT, child=CONSENT)
@require_POST
def consent_scan_upload(request, case, decision, consent):
    form = ScanForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.consent_attach_scan(
                consent=consent, by=request.user, upload=form.cleaned_data["scan"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Det inskannade samtycket är sparat."))
            return redirect("consent_detail", pk=case.pk, consent_pk=consent.pk)
    return _detail_page(request, case, consent, form, status=400)


@case_view(
    action=Action.VIEW_CONSENT,
    log_as=log.Action.DOWNLOAD,
    object_type="consent_scan",
    child=CONSENT_SCAN,
)
def consent_scan_download(request, case, decision, consent):
    """The scan as an attachment. A row naming a file that is not in the files directory (a
    database restored without its files, a file removed by hand) is a Swedish message back on
    the consent, a refusal in the access log and an error for the operators, never a 500."""
    try:
        scan = consent.scan.open("rb")
    except OSError:
        logger.error(
            "Consent scan file missing: consent %s of case %s names %r, not found in %s",
            consent.pk,
            case.pk,
            consent.scan.name,
            consent.scan.storage.location,
        )
        log.record(
            user=request.user,
            action=log.Action.DENIED,
            object_type="consent_scan",
            case=case,
            object_id=consent.pk,
            grounds=decision.grounds,
            detail="file missing",
        )
        messages.error(
            request,
            _("Den inskannade blanketten saknas i filarkivet. Kontakta systemförvaltningen."),
        )
        return redirect("consent_detail", pk=case.pk, consent_pk=consent.pk)
    response = FileResponse(
        scan,
        content_type=consent.scan_content_type,
        as_attachment=True,
        filename=f"samtycke-{case.number}-{consent.pk}"
        f"{consent.scan.name[consent.scan.name.rfind('.') :]}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- The person's group -----------------------------------------------------------------------


@case_view_post(post=Action.MANAGE_MEMBERS, object_type="case_members")
def members(request, case, decision):
    """Everyone who sees the case sees its group; saving needs the right to manage it (the
    gate decides a POST under MANAGE_MEMBERS)."""
    may_manage = policy.decide_case(request.user, Action.MANAGE_MEMBERS, case)
    user_form = MemberUserForm(
        request.POST if "add_user" in request.POST else None,
        memberships=services.partner_users_for(case),
        prefix="user",
    )
    external_form = MemberExternalForm(
        request.POST if "add_external" in request.POST else None, prefix="ext"
    )
    if request.method == "POST":
        form = user_form if "add_user" in request.POST else external_form
        if form.is_valid():
            try:
                if form is user_form:
                    membership = form.cleaned_data["membership"]
                    services.member_add_user(
                        case=case,
                        by=request.user,
                        user=membership.user,
                        organisation=membership.organisation,
                        function=form.cleaned_data["function"] or membership.function,
                    )
                else:
                    services.member_add_external(case=case, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Medlemmen är tillagd i gruppen."))
                return redirect("case_members", pk=case.pk)
    current = case.members.filter(removed_at__isnull=True).select_related("user", "organisation")
    former = case.members.filter(removed_at__isnull=False).select_related(
        "user", "organisation", "removed_by"
    )
    return render(
        request,
        "consent/members.html",
        {
            "case": case,
            "members": current,
            "former": former,
            "may_manage": may_manage,
            "user_form": user_form,
            "external_form": external_form,
            "covered_org_ids": selectors.covered_organisations(case, timezone.localdate()),
        },
    )


@case_view(action=Action.MANAGE_MEMBERS, child=ACTIVE_MEMBER)
def member_remove(request, case, decision, member):
    if request.method == "POST":
        services.member_remove(member=member, by=request.user)
        messages.success(request, _("Medlemmen är borttagen ur gruppen."))
        return redirect("case_members", pk=case.pk)
    return render(request, "consent/member_remove.html", {"case": case, "member": member})


# --- Disclosures without consent -------------------------------------------------------------


@case_view(action=Action.RECORD_DISCLOSURE)
def disclosure_create(request, case, decision):
    form = DisclosureForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            services.disclosure_record(case=case, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Utlämnandet är registrerat."))
            return redirect("case_detail", pk=case.pk)
    return render(request, "consent/disclosure_form.html", {"case": case, "form": form})


@unit_page(policy.staff_units)
def disclosure_register(request, units):
    """Every disclosure without consent in the units where the user is social-services staff
    (never a case the user sees only as a partner)."""
    start, end = _date_param(request, "fran"), _date_param(request, "till")
    disclosures = selectors.disclosure_register(request.user, start=start, end=end)
    page = Paginator(disclosures, 50).get_page(request.GET.get("sida"))
    policy.log_listing(request.user, "disclosure_register", [d.case for d in page.object_list])
    return render(
        request,
        "consent/disclosure_register.html",
        {"page": page, "start": start, "end": end},
    )


def _date_param(request, name: str) -> date | None:
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None
