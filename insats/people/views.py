"""Person pages: details, editing and guardians."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from insats.access import policy
from insats.access.gate import person_view
from insats.access.policy import Action

from . import selectors, services
from .forms import GuardianForm, PersonForm


@person_view()
def person_detail(request, person, decision):
    page = selectors.person_page(request.user, person)
    return render(
        request,
        "people/person_detail.html",
        {
            "person": person,
            "grounds": decision.grounds,
            "cases": selectors.person_cases(request.user, person),
            "contact": page.contact,
            "guardians": page.guardians,
            "may_change": policy.decide_person(request.user, Action.CHANGE_PERSON, person),
        },
    )


@person_view(Action.CHANGE_PERSON)
def person_edit(request, person, decision):
    form = PersonForm(request.POST or None, instance=person)
    contact_hidden = not policy.decide_person(request.user, Action.VIEW_PERSON_CONTACT, person)
    if contact_hidden:
        form.drop_contact_fields()
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(person=person, by=request.user, **form.person_fields())
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Personuppgifterna är sparade."))
            return redirect("person_detail", pk=person.pk)
    return render(
        request,
        "people/person_edit.html",
        {"person": person, "form": form, "contact_hidden": contact_hidden},
    )


@person_view(Action.CHANGE_PERSON)
def guardian_add(request, person, decision):
    form = GuardianForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.guardian_add(person=person, by=request.user, **form.cleaned_data)
        messages.success(request, _("Vårdnadshavaren är tillagd."))
        return redirect("person_detail", pk=person.pk)
    return render(request, "people/guardian_form.html", {"person": person, "form": form})


@person_view(Action.CHANGE_PERSON)
def guardian_remove(request, person, decision, guardian_pk: int):
    guardian = person.guardians.filter(pk=guardian_pk).first()
    if guardian is None:
        raise Http404
    if request.method == "POST":
        services.guardian_remove(guardian=guardian, by=request.user)
        messages.success(request, _("Vårdnadshavaren är borttagen."))
        return redirect("person_detail", pk=person.pk)
    return render(request, "people/guardian_remove.html", {"person": person, "guardian": guardian})
