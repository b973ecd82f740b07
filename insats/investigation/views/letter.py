"""Informationsbrev (bilaga 3.0): the unit's letter, its print for the person, and handovers.

Staff only: no consent category opens this section to partners (policy.SECTION_CATEGORIES).
The letter text itself is configuration, kept by administrators in the admin.
"""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from insats.access import log, policy
from insats.access.gate import case_view
from insats.access.policy import Section
from insats.core.forms import add_service_errors
from insats.documents.pdf import pdf_response, render_pdf
from insats.investigation import services
from insats.investigation.forms.letter import HandoverForm
from insats.investigation.models import InformationLetter, LetterHandover

SECTION = Section.LETTER


def paragraphs(letter: InformationLetter) -> list[str]:
    """The letter's paragraphs: separated by a blank line, each shown as written."""
    text = letter.body.replace("\r\n", "\n")
    return [part.strip("\n") for part in re.split(r"\n[ \t]*\n", text) if part.strip()]


@case_view(SECTION, write="post")
def letter(request, case, decision):
    write = request.method == "POST"
    may_write = write or bool(policy.decide_section(request.user, case, SECTION, write=True))
    active = services.current_letter(case.unit_id)
    form = HandoverForm(
        request.POST if write else None, case=case, user=request.user, active_letter=active
    )
    if write and form.is_valid():
        try:
            services.letter_handover_record(case=case, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Överlämnandet av informationsbrevet är registrerat."))
            return redirect("letter", pk=case.pk)
    handovers = LetterHandover.objects.filter(case=case).select_related(
        "letter", "handed_over_by", "recorded_by"
    )
    return render(
        request,
        "investigation/letter/letter.html",
        {
            "case": case,
            "letter": active,
            "paragraphs": paragraphs(active) if active else [],
            "handovers": handovers,
            "form": form,
            "may_write": may_write,
            "has_letters": active is not None or form.fields["letter"].queryset.exists(),
        },
    )


@case_view(SECTION, log_as=log.Action.PRINT)
def letter_pdf(request, case, decision):
    """The unit's current letter addressed to the person, for handing over."""
    active = services.current_letter(case.unit_id)
    if active is None:
        raise Http404
    context = {
        "case": case,
        "letter": active,
        "paragraphs": paragraphs(active),
        "addressee": case.person.full_name if case.person else case.alias,
        "today": timezone.localdate(),
    }
    pdf = render_pdf("documents/letter.html", context, request=request)
    return pdf_response(pdf, f"informationsbrev-{case.number}.pdf")


urlpatterns = [
    path("<int:pk>/informationsbrev/", letter, name="letter"),
    path(
        "<int:pk>/informationsbrev/informationsbrev.pdf",
        letter_pdf,
        name="letter_pdf",
    ),
]
