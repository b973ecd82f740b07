"""Ship the SAVRY structure as the shared default instrument (idempotent)."""

from django.db import migrations

from insats.risk import defaults


def load(apps, schema_editor):
    instrument_model = apps.get_model("risk", "RiskInstrument")
    item_model = apps.get_model("risk", "RiskItem")
    instrument, _created = instrument_model.objects.get_or_create(
        unit=None,
        name=defaults.SAVRY_NAME,
        defaults={
            "description": defaults.SAVRY_DESCRIPTION,
            "age_min": defaults.SAVRY_AGE[0],
            "age_max": defaults.SAVRY_AGE[1],
            "summary_levels": defaults.RISK_LEVELS,
        },
    )
    for position, (code, domain, title, protective) in enumerate(defaults.SAVRY_ITEMS, 1):
        item_model.objects.get_or_create(
            instrument=instrument,
            code=code,
            defaults={
                "domain": domain,
                "title": title,
                "protective": protective,
                "levels": defaults.PROTECTIVE_LEVELS if protective else defaults.RISK_LEVELS,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
