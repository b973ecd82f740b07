"""Forms for the needs and resource inventory (bilaga 3.1).

One `InventoryForm` for the inventory as a whole and a formset with exactly one `RatingForm`
per active life area of the unit. The areas are given by the view; a hidden field carries each
row's area so that a list changed while the user typed is noticed rather than mixed up.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insats.core.forms import FixedRowsFormSet

from ..models import Motivation, Rating

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

NOT_GIVEN = ("", _("Ej angivet"))
YES, NO = "ja", "nej"
WANTS_CHANGE_CHOICES = [NOT_GIVEN, (YES, _("Ja")), (NO, _("Nej"))]
PRIORITY_FIELDS = ("priority_1", "priority_2", "priority_3")


def _to_bool(value: str) -> bool:
    return value == YES


def wants_change_value(wants_change: bool | None) -> str:
    """The form value of a stored "vill förändring" answer."""
    if wants_change is None:
        return ""
    return YES if wants_change else NO


class RatingForm(forms.Form):
    """The ratings of one life area; `area` is the LifeArea the row belongs to."""

    life_area = forms.IntegerField(widget=forms.HiddenInput)
    own_rating = forms.TypedChoiceField(
        label=_("Egen skattning"),
        choices=[NOT_GIVEN, *Rating.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    staff_rating = forms.TypedChoiceField(
        label=_("Personalens skattning"),
        choices=[NOT_GIVEN, *Rating.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    wants_change = forms.TypedChoiceField(
        label=_("Vill förändring här"),
        choices=WANTS_CHANGE_CHOICES,
        coerce=_to_bool,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Anteckning"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, area, **kwargs):
        super().__init__(*args, **kwargs)
        self.area = area
        for name in ("own_rating", "staff_rating"):
            self.fields[name].condition = _("krävs för en klar inventering")
        self.initial.setdefault("life_area", area.pk)

    def clean_life_area(self):
        if self.cleaned_data["life_area"] != self.area.pk:
            raise ValidationError(
                _(
                    "Enhetens lista över livsområden har ändrats medan du skrev. "
                    "Kontrollera uppgifterna och spara igen."
                )
            )
        return self.area

    def rating(self) -> dict:
        """The row as the service wants it."""
        data = self.cleaned_data
        return {
            "life_area": self.area,
            "own_rating": data.get("own_rating"),
            "staff_rating": data.get("staff_rating"),
            "wants_change": data.get("wants_change"),
            "note": data.get("note", ""),
        }


class BaseRatingFormSet(FixedRowsFormSet):
    """Exactly one row per life area, in the areas' order, whatever the browser sends."""

    row_kwarg = "area"

    def __init__(self, *args, areas, **kwargs):
        self.areas = list(areas)
        super().__init__(*args, rows=self.areas, **kwargs)

    def ratings(self) -> list[dict]:
        return [form.rating() for form in self.forms]


RatingFormSet = formset_factory(RatingForm, formset=BaseRatingFormSet, extra=0)


def rating_formset(data=None, *, areas, ratings=()) -> BaseRatingFormSet:
    """The formset for `areas`, pre-filled from the stored `ratings` of the edited version."""
    stored = {r.life_area_id: r for r in ratings}
    initial = []
    for area in areas:
        row = stored.get(area.pk)
        initial.append(
            {
                "life_area": area.pk,
                "own_rating": row.own_rating if row else None,
                "staff_rating": row.staff_rating if row else None,
                "wants_change": wants_change_value(row.wants_change) if row else "",
                "note": row.note if row else "",
            }
        )
    return RatingFormSet(data, areas=areas, initial=initial, prefix="omraden")


class InventoryForm(forms.Form):
    assessed_on = forms.DateField(label=_("Datum för inventeringen"), widget=DATE)
    motivation = forms.TypedChoiceField(
        label=_("Motivation att förändra sin livssituation"),
        choices=[NOT_GIVEN, *Motivation.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    motivation_note = forms.CharField(
        label=_("Kommentar om motivation"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    priority_1 = forms.TypedChoiceField(
        label=_("Högst prioriterat område"), coerce=int, empty_value=None, required=False
    )
    priority_2 = forms.TypedChoiceField(
        label=_("Näst högst prioriterat"), coerce=int, empty_value=None, required=False
    )
    priority_3 = forms.TypedChoiceField(
        label=_("Tredje prioritet"), coerce=int, empty_value=None, required=False
    )
    completed = forms.BooleanField(
        label=_("Inventeringen är klar"),
        required=False,
        help_text=_(
            "En klar inventering har egen skattning och personalens skattning för varje "
            "livsområde, motivation och minst ett prioriterat område."
        ),
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = {area.pk: area for area in areas}
        choices = [("", _("Inget valt"))] + [(area.pk, str(area)) for area in areas]
        for name in PRIORITY_FIELDS:
            self.fields[name].choices = choices
        self.fields["motivation"].condition = _("krävs för en klar inventering")
        self.fields["priority_1"].condition = _("krävs för en klar inventering")
        self.initial.setdefault("assessed_on", timezone.localdate())

    def clean(self):
        cleaned = super().clean()
        chosen = [cleaned.get(name) for name in PRIORITY_FIELDS]
        # Filled from the top: a second priority without a first one is most likely a slip.
        filled = [pk is not None for pk in chosen]
        if filled != sorted(filled, reverse=True):
            self.add_error(
                "priority_1", _("Fyll i prioriteringarna i ordning, med den högsta först.")
            )
        picked = [pk for pk in chosen if pk is not None]
        if len(set(picked)) != len(picked):
            self.add_error("priority_2", _("Ett område kan bara prioriteras en gång."))
        return cleaned

    def priorities(self) -> list:
        return [
            self.areas[self.cleaned_data[name]]
            for name in PRIORITY_FIELDS
            if self.cleaned_data.get(name) is not None
        ]

    @classmethod
    def initial_from(cls, inventory) -> dict:
        """The values of a stored version, to edit it."""
        initial = {
            "assessed_on": inventory.assessed_on,
            "motivation": inventory.motivation,
            "motivation_note": inventory.motivation_note,
            "completed": inventory.completed,
        }
        for name in PRIORITY_FIELDS:
            initial[name] = getattr(inventory, f"{name}_id")
        return initial
