"""Merge the duplicates that races could create before 0003 adds the "only one" constraints.

Two requests that passed the "already there?" check together could put a case (or a
returnee) twice on one meeting's agenda, or a user twice in a group. Nothing is thrown away:
the oldest agenda item is kept, the later ones' preparation and minutes are appended to it and
their tasks moved to it; a later duplicate membership is ended (removed_at), not deleted. This
runs in its own migration so the rows are changed before, not in the same transaction as, the
indexes are built.
"""

from django.db import migrations
from django.db.models import Count
from django.utils import timezone


def _append(kept: str, extra: str) -> str:
    extra = extra.strip()
    if not extra or extra in kept:
        return kept
    return f"{kept.rstrip()}\n\n{extra}" if kept.strip() else extra


def merge_agenda_items(apps, schema_editor):
    AgendaItem = apps.get_model("meetings", "AgendaItem")
    Task = apps.get_model("meetings", "Task")
    for field in ("case", "returnee"):
        groups = (
            AgendaItem.objects.filter(**{f"{field}__isnull": False})
            .values("meeting_id", f"{field}_id")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        for group in groups:
            items = list(
                AgendaItem.objects.filter(
                    meeting_id=group["meeting_id"], **{f"{field}_id": group[f"{field}_id"]}
                ).order_by("pk")
            )
            kept, later = items[0], items[1:]
            for item in later:
                kept.preparation = _append(kept.preparation, item.preparation)
                kept.minutes = _append(kept.minutes, item.minutes)
                Task.objects.filter(item_id=item.pk).update(item_id=kept.pk)
            kept.save(update_fields=["preparation", "minutes"])
            AgendaItem.objects.filter(pk__in=[item.pk for item in later]).delete()


def end_duplicate_memberships(apps, schema_editor):
    GroupMember = apps.get_model("meetings", "GroupMember")
    groups = (
        GroupMember.objects.filter(user__isnull=False, removed_at__isnull=True)
        .values("group_id", "user_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    now = timezone.now()
    for group in groups:
        pks = list(
            GroupMember.objects.filter(
                group_id=group["group_id"], user_id=group["user_id"], removed_at__isnull=True
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        GroupMember.objects.filter(pk__in=pks[1:]).update(removed_at=now)


def forwards(apps, schema_editor):
    merge_agenda_items(apps, schema_editor)
    end_duplicate_memberships(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
