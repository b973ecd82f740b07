"""Plan revisions name a goal's life area by id, code and consent category, not by its label.

Snapshots used to store only the label, and the partner view of history matched labels: a
renamed label hid history, and the same label in another category leaked. Each stored label is
matched within the plan's unit: first the goal's own life area if the goal still exists and its
area still has that label, else the unit's only area with that label (or, if several areas share
the label, their category when they all have the same one). A label that cannot be matched keeps
no category, so only the social services read that goal in history. The label stays as display
text.
"""

from django.db import migrations

BATCH = 500


def _ref(area) -> dict:
    return {"id": area.pk, "code": area.code, "category": area.category_code, "label": area.label}


def _match(label: str, goal_area, unit_areas: list) -> dict:
    if goal_area is not None and goal_area.label == label:
        return _ref(goal_area)
    candidates = [a for a in unit_areas if a.label == label]
    if len(candidates) == 1:
        return _ref(candidates[0])
    categories = {a.category_code for a in candidates}
    category = categories.pop() if len(categories) == 1 else ""
    return {"id": None, "code": "", "category": category, "label": label}


def _batches(model):
    """The revisions in batches, read before any is written (SQLite cannot write under an open
    cursor)."""
    pks = list(model.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        yield list(
            model.objects.filter(pk__in=pks[start : start + BATCH]).select_related("plan__case")
        )


def forward(apps, schema_editor):
    revision_model = apps.get_model("plans", "PlanRevision")
    goal_model = apps.get_model("plans", "PlanGoal")
    life_area_model = apps.get_model("organisations", "LifeArea")
    areas_by_unit: dict = {}
    for batch in _batches(revision_model):
        changed = []
        for revision in batch:
            goals = (revision.snapshot or {}).get("goals") or []
            labelled = [g for g in goals if not isinstance(g.get("life_area"), dict)]
            if not labelled:
                continue
            unit_id = revision.plan.case.unit_id
            if unit_id not in areas_by_unit:
                areas_by_unit[unit_id] = list(life_area_model.objects.filter(unit_id=unit_id))
            unit_areas = areas_by_unit[unit_id]
            by_pk = {a.pk: a for a in unit_areas}
            current = dict(
                goal_model.objects.filter(
                    plan_id=revision.plan_id, pk__in=[g.get("id") for g in labelled]
                ).values_list("pk", "life_area_id")
            )
            for goal in labelled:
                area = by_pk.get(current.get(goal.get("id")))
                goal["life_area"] = _match(str(goal.get("life_area") or ""), area, unit_areas)
            changed.append(revision)
        revision_model.objects.bulk_update(changed, ["snapshot"])


def backward(apps, schema_editor):
    revision_model = apps.get_model("plans", "PlanRevision")
    for batch in _batches(revision_model):
        changed = []
        for revision in batch:
            goals = (revision.snapshot or {}).get("goals") or []
            refs = [g for g in goals if isinstance(g.get("life_area"), dict)]
            for goal in refs:
                goal["life_area"] = goal["life_area"].get("label", "")
            if refs:
                changed.append(revision)
        revision_model.objects.bulk_update(changed, ["snapshot"])


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0002_reminders"),
        ("organisations", "0004_life_area_categories"),
    ]
    operations = [migrations.RunPython(forward, backward)]
