"""Give the default life areas the consent category that lets partners see them."""

from django.db import migrations

from insats.organisations import defaults


def load(apps, schema_editor):
    life_area = apps.get_model("organisations", "LifeArea")
    for code, category in defaults.LIFE_AREA_CATEGORIES.items():
        life_area.objects.filter(code=code, category_code="").update(category_code=category)


class Migration(migrations.Migration):
    dependencies = [("organisations", "0003_lifearea_category_code")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
