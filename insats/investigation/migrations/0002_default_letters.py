"""Every unit that exists before this app starts with the default information letter."""

from django.db import migrations

from insats.organisations import defaults


def load(apps, schema_editor):
    unit_model = apps.get_model("organisations", "Unit")
    letter = apps.get_model("investigation", "InformationLetter")
    for unit in unit_model.objects.exclude(letters__isnull=False):
        letter.objects.create(
            unit=unit,
            version="1",
            title=defaults.INFORMATION_LETTER_TITLE,
            body=defaults.INFORMATION_LETTER,
        )


class Migration(migrations.Migration):
    dependencies = [("investigation", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
