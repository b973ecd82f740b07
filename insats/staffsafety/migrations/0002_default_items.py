"""Load the default checklist items and competence requirements as templates (unit-less rows)
and give every existing unit a copy; units created later get theirs on first use
(services.unit_copy_template_items). Idempotent, so tests can run it again."""

from django.db import migrations

from insats.staffsafety import defaults


def load(apps, schema_editor):
    safety = apps.get_model("staffsafety", "SafetyChecklistItem")
    competence = apps.get_model("staffsafety", "CompetenceItem")
    unit_model = apps.get_model("organisations", "Unit")
    for unit in [None, *unit_model.objects.all()]:
        rows = [("general", item) for item in defaults.GENERAL_SAFETY]
        rows += [("social_media", item) for item in defaults.SOCIAL_MEDIA_SAFETY]
        for position, (checklist, (code, label, label_en)) in enumerate(rows, start=1):
            safety.objects.get_or_create(
                unit=unit,
                code=code,
                defaults={
                    "label": label,
                    "label_en": label_en,
                    "checklist": checklist,
                    "position": position,
                },
            )
        for position, (code, label, label_en, description) in enumerate(
            defaults.COMPETENCE, start=1
        ):
            competence.objects.get_or_create(
                unit=unit,
                code=code,
                defaults={
                    "label": label,
                    "label_en": label_en,
                    "description": description,
                    "position": position,
                },
            )


class Migration(migrations.Migration):
    dependencies = [
        ("staffsafety", "0001_initial"),
        ("organisations", "0007_unit_contact_review_months"),
    ]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
