"""Load the installation's template configuration lists (rows with no unit)."""

from django.db import migrations

from insats.organisations import defaults


def load(apps, schema_editor):
    for model_name, rows in defaults.LISTS.items():
        model = apps.get_model("organisations", model_name)
        for position, (code, label, label_en) in enumerate(rows, start=1):
            model.objects.get_or_create(
                unit=None,
                code=code,
                defaults={"label": label, "label_en": label_en, "position": position},
            )
    legal = apps.get_model("organisations", "LegalReference")
    for position, (code, label, label_en, kind, text) in enumerate(
        defaults.LEGAL_REFERENCES, start=1
    ):
        legal.objects.get_or_create(
            unit=None,
            code=code,
            defaults={
                "label": label,
                "label_en": label_en,
                "kind": kind,
                "text": text,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
