"""Load the default practical matters as templates and give every existing unit a copy."""

from django.db import migrations

from insats.organisations import defaults


def load(apps, schema_editor):
    model = apps.get_model("organisations", "PracticalMatter")
    unit_model = apps.get_model("organisations", "Unit")
    for unit in [None, *unit_model.objects.all()]:
        for position, (code, label, label_en) in enumerate(defaults.PRACTICAL_MATTERS, start=1):
            model.objects.get_or_create(
                unit=unit,
                code=code,
                defaults={"label": label, "label_en": label_en, "position": position},
            )


class Migration(migrations.Migration):
    dependencies = [("organisations", "0005_practicalmatter")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
