"""Praktiska frågor: the unit's checklist (ID card, bank account, …) for one case.

Staff only (Section.PRACTICAL has no consent category); closed cases are read-only.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from insats.access import policy
from insats.access.gate import case_view
from insats.access.policy import Section

from .. import forms_practical as forms
from .. import services_practical as services

SECTION = Section.PRACTICAL


@case_view(SECTION, write="post")
def practical(request, case, decision):
    write = request.method == "POST"
    may_write = write or bool(policy.decide_section(request.user, case, SECTION, write=True))
    rows = services.checklist(case)
    service_errors: list[str] = []
    if write:
        formset = forms.checklist_formset(request.POST, rows=rows)
        if formset.is_valid():
            try:
                services.practical_save(case=case, by=request.user, rows=formset.rows())
            except ValidationError as exc:
                service_errors = exc.messages
                if getattr(exc, "code", None) == services.CONFLICT:
                    rows = services.checklist(case)
                    data = forms.with_current_stamps(request.POST, rows=rows)
                    formset = forms.checklist_formset(data, rows=rows)
                    formset.is_valid()
            else:
                messages.success(request, _("De praktiska frågorna är sparade."))
                return redirect("practical", pk=case.pk)
    else:
        formset = forms.checklist_formset(rows=rows)
    done = sum(1 for row in rows if row.is_done)
    return render(
        request,
        "casework/practical_checklist.html",
        {
            "case": case,
            "rows": rows,
            "formset": formset,
            "pairs": list(zip(formset.forms, rows, strict=True)),
            "may_write": may_write,
            "done": done,
            "total": len(rows),
            "service_errors": service_errors,
            "errors": forms.summary(formset, service_errors) if write else [],
        },
    )


case_urlpatterns = [
    path("<int:pk>/praktiska-fragor/", practical, name="practical"),
]
urlpatterns = []
