"""The resource mapping form: the person's own network and the partner organisations needed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from insats.investigation.models import ResourceMapping
from insats.organisations.models import Organisation

from .criminality import RowForm, RowFormSet


class ResourcesForm(forms.Form):
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False)
    needed_organisations = forms.ModelMultipleChoiceField(
        label=_("Samverkanspartner som behövs"),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    note = forms.CharField(
        label=_("Anteckning"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, case, current: ResourceMapping | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["needed_organisations"].queryset = Organisation.objects.filter(
            unit_id=case.unit_id
        ).exclude(kind=Organisation.Kind.SOCIAL_SERVICES)
        if current is not None:
            self.initial.update(
                based_on=current.pk,
                needed_organisations=[o.pk for o in current.needed_organisations.all()],
                note=current.note,
            )


class NetworkPersonForm(RowForm):
    name = forms.CharField(label=_("Namn"), required=False, max_length=200)
    relation = forms.CharField(
        label=_("Relation"),
        required=False,
        max_length=100,
        help_text=_("T.ex. moster, tränare, granne."),
    )
    phone = forms.CharField(label=_("Telefon"), required=False, max_length=40)
    email = forms.EmailField(
        label=_("E-post"),
        required=False,
        error_messages={"invalid": _("Ange en giltig e-postadress.")},
    )
    may_contact = forms.BooleanField(label=_("Får kontaktas"), required=False)
    covered_by_consent = forms.BooleanField(label=_("Omfattas av samtycket"), required=False)

    required_fields = {
        "name": _("Ange namn."),
        "relation": _("Ange relation till den enskilde."),
    }


NetworkPersonFormSet = forms.formset_factory(
    NetworkPersonForm, formset=RowFormSet, extra=3, max_num=200, validate_max=True
)


def people_initial(mapping: ResourceMapping | None) -> list[dict]:
    if mapping is None:
        return []
    return [
        {
            "name": p.name,
            "relation": p.relation,
            "phone": p.phone,
            "email": p.email,
            "may_contact": p.may_contact,
            "covered_by_consent": p.covered_by_consent,
        }
        for p in mapping.people.all()
    ]
