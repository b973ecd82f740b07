"""Person pages: details, editing and guardians."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from insats.access import policy
from insats.access.decorators import OBJECT, access_policy

from . import services
from .forms import GuardianForm, PersonForm


@access_policy(OBJECT)
def person_detail(request, pk: int):
    person, decision = policy.get_person_or_404(request.user, pk)
    cases = (
        policy.cases_visible_to(request.user).filter(person=person).order_by("-year", "-sequence")
    )
    return render(
        request,
        "people/person_detail.html",
        {
            "person": person,
            "grounds": decision.grounds,
            "cases": cases,
            "guardians": person.guardians.all(),
            "show_contact": policy.decide_person(
                request.user, policy.Action.VIEW_PERSON_CONTACT, person
            ),
            "may_change": policy.decide_person(request.user, policy.Action.CHANGE_PERSON, person),
        },
    )


@access_policy(OBJECT)
def person_edit(request, pk: int):
    person, _decision = policy.get_person_or_404(request.user, pk, policy.Action.CHANGE_PERSON)
    form = PersonForm(request.POST or None, instance=person)
    contact_hidden = not policy.decide_person(
        request.user, policy.Action.VIEW_PERSON_CONTACT, person
    )
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


@access_policy(OBJECT)
def guardian_add(request, pk: int):
    person, _decision = policy.get_person_or_404(request.user, pk, policy.Action.CHANGE_PERSON)
    form = GuardianForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.guardian_add(person=person, by=request.user, **form.cleaned_data)
        messages.success(request, _("Vårdnadshavaren är tillagd."))
        return redirect("person_detail", pk=person.pk)
    return render(request, "people/guardian_form.html", {"person": person, "form": form})


@access_policy(OBJECT)
def guardian_remove(request, pk: int, guardian_pk: int):
    person, _decision = policy.get_person_or_404(request.user, pk, policy.Action.CHANGE_PERSON)
    guardian = person.guardians.filter(pk=guardian_pk).first()
    if guardian is None:
        raise Http404
    if request.method == "POST":
        services.guardian_remove(guardian=guardian, by=request.user)
        messages.success(request, _("Vårdnadshavaren är borttagen."))
        return redirect("person_detail", pk=person.pk)
    return render(request, "people/guardian_remove.html", {"person": person, "guardian": guardian})
