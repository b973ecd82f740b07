"""Write use cases for units and their configuration."""

from django.db import transaction

from . import defaults
from .models import CONFIG_LISTS, Unit


@transaction.atomic
def unit_create(*, name: str, municipality: str, **fields) -> Unit:
    """Create a unit with its own copy of the installation's template lists."""
    unit = Unit.objects.create(name=name, municipality=municipality, **fields)
    unit_copy_template_lists(unit=unit)
    return unit


def unit_copy_template_lists(*, unit: Unit) -> None:
    """Give the unit every template item it does not have yet (by code), and the default
    information letter when it has none; idempotent."""
    for model in CONFIG_LISTS:
        have = set(model.objects.filter(unit=unit).values_list("code", flat=True))
        copies = []
        for template in model.objects.filter(unit__isnull=True):
            if template.code in have:
                continue
            template.pk = None
            template.unit = unit
            copies.append(template)
        model.objects.bulk_create(copies)
    # Imported here: the investigation app builds on organisations, not the other way round.
    from insats.investigation.models import InformationLetter

    if not InformationLetter.objects.filter(unit=unit).exists():
        InformationLetter.objects.create(
            unit=unit,
            version="1",
            title=defaults.INFORMATION_LETTER_TITLE,
            body=defaults.INFORMATION_LETTER,
        )
