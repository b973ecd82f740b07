"""Consent, group membership and disclosure pages of a case, and the unit's disclosure register."""

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
from insats.access.decorators import OBJECT, SIGNED_IN, access_policy
from insats.cases.models import Case
from insats.core.forms import add_service_errors
from insats.documents.pdf import pdf_response, render_pdf
from insats.organisations.models import InformationCategory, LegalReference, Organisation

from . import rules, services
from .forms import (
    ConsentForm,
    DisclosureForm,
    MemberExternalForm,
    MemberUserForm,
    RevokeForm,
    ScanForm,
)
from .models import Consent, Disclosure


def _consent_or_404(pk: int, consent_pk: int) -> Consent:
    """The consent if it belongs to that case.

    Checked before the case is fetched through the policy, so that a wrong id is a plain 404
    and leaves no logged access to the case behind.
    """
    consent = Consent.objects.filter(pk=consent_pk, case_id=pk).first()
    if consent is None:
        raise Http404
    return consent


def _detail_page(request, case: Case, consent: Consent, scan_form, status: int = 200):
    return render(
        request,
        "consent/consent_detail.html",
        {
            "case": case,
            "consent": consent,
            "status": consent.status(),
            "scan_form": scan_form,
            "may_manage": policy.decide_case(request.user, policy.Action.MANAGE_CONSENT, case),
        },
        status=status,
    )


@access_policy(OBJECT)
def consent_create(request, pk: int):
    case, _decision = policy.get_case_or_404(request.user, pk, policy.Action.MANAGE_CONSENT)
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


@access_policy(OBJECT)
def consent_detail(request, pk: int, consent_pk: int):
    consent = _consent_or_404(pk, consent_pk)
    case, _decision = policy.get_case_or_404(
        request.user, pk, policy.Action.VIEW_CONSENT, object_type="consent"
    )
    consent.case = case
    return _detail_page(request, case, consent, ScanForm())


@access_policy(OBJECT)
def consent_revoke(request, pk: int, consent_pk: int):
    consent = _consent_or_404(pk, consent_pk)
    case, _decision = policy.get_case_or_404(request.user, pk, policy.Action.MANAGE_CONSENT)
    consent.case = case
    form = RevokeForm(request.POST or None, initial={"revoked_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
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
                request, _("Samtycket är återkallat. Parternas åtkomst upphörde direkt.")
            )
            return redirect("consent_detail", pk=case.pk, consent_pk=consent.pk)
    return render(
        request, "consent/consent_revoke.html", {"case": case, "consent": consent, "form": form}
    )


@access_policy(OBJECT)
def consent_pdf(request, pk: int, consent_pk: int):
    """The filled-in form of a recorded consent, for signing or the file."""
    consent = _consent_or_404(pk, consent_pk)
    case, _decision = policy.get_case_or_404(
        request.user,
        pk,
        policy.Action.VIEW_CONSENT,
        log_as=log.Action.PRINT,
        object_type="consent_form",
    )
    consent.case = case
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
    pdf = render_pdf("documents/consent.html", context, request=request)
    return pdf_response(pdf, f"samtycke-{case.number}.pdf")


@access_policy(OBJECT)
def consent_blank_pdf(request, pk: int):
    """The form to be signed, before the consent is recorded, filled from the case."""
    case, _decision = policy.get_case_or_404(
        request.user,
        pk,
        policy.Action.MANAGE_CONSENT,
        log_as=log.Action.PRINT,
        object_type="consent_form",
    )
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


@access_policy(OBJECT)
@require_POST
def consent_scan_upload(request, pk: int, consent_pk: int):
    consent = _consent_or_404(pk, consent_pk)
    case, _decision = policy.get_case_or_404(request.user, pk, policy.Action.MANAGE_CONSENT)
    consent.case = case
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


@access_policy(OBJECT)
def consent_scan_download(request, pk: int, consent_pk: int):
    consent = _consent_or_404(pk, consent_pk)
    if not consent.scan:
        raise Http404
    case, _decision = policy.get_case_or_404(
        request.user,
        pk,
        policy.Action.VIEW_CONSENT,
        log_as=log.Action.DOWNLOAD,
        object_type="consent_scan",
    )
    consent.case = case
    response = FileResponse(
        consent.scan.open("rb"),
        content_type=consent.scan_content_type,
        as_attachment=True,
        filename=f"samtycke-{case.number}-{consent.pk}"
        f"{consent.scan.name[consent.scan.name.rfind('.') :]}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- The person's group -----------------------------------------------------------------------


@access_policy(OBJECT)
def members(request, pk: int):
    case, _decision = policy.get_case_or_404(request.user, pk, object_type="case_members")
    may_manage = policy.decide_case(request.user, policy.Action.MANAGE_MEMBERS, case)
    user_form = MemberUserForm(
        request.POST if "add_user" in request.POST else None,
        memberships=services.partner_users_for(case),
        prefix="user",
    )
    external_form = MemberExternalForm(
        request.POST if "add_external" in request.POST else None, prefix="ext"
    )
    if request.method == "POST":
        if not may_manage:
            raise Http404
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
            "covered_org_ids": _covered_organisations(case),
        },
    )


def _covered_organisations(case: Case) -> set[int]:
    return set(
        Organisation.objects.filter(
            consents__in=Consent.objects.active_on(timezone.localdate()).filter(case=case)
        ).values_list("pk", flat=True)
    )


@access_policy(OBJECT)
def member_remove(request, pk: int, member_pk: int):
    case, _decision = policy.get_case_or_404(request.user, pk, policy.Action.MANAGE_MEMBERS)
    member = case.members.filter(pk=member_pk, removed_at__isnull=True).first()
    if member is None:
        raise Http404
    if request.method == "POST":
        services.member_remove(member=member, by=request.user)
        messages.success(request, _("Medlemmen är borttagen ur gruppen."))
        return redirect("case_members", pk=case.pk)
    return render(request, "consent/member_remove.html", {"case": case, "member": member})


# --- Disclosures without consent -------------------------------------------------------------


@access_policy(OBJECT)
def disclosure_create(request, pk: int):
    case, _decision = policy.get_case_or_404(request.user, pk, policy.Action.RECORD_DISCLOSURE)
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


@access_policy(SIGNED_IN)
def disclosure_register(request):
    """Every disclosure without consent in the user's units (staff only)."""
    units = policy.staff_units(request.user)
    if not units:
        raise Http404
    disclosures = (
        Disclosure.objects.filter(case__in=policy.cases_visible_to(request.user))
        .select_related("case", "to_organisation", "legal_basis", "disclosed_by")
        .order_by("-disclosed_on", "-pk")
    )
    start, end = _date_param(request, "fran"), _date_param(request, "till")
    if start:
        disclosures = disclosures.filter(disclosed_on__gte=start)
    if end:
        disclosures = disclosures.filter(disclosed_on__lte=end)
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
