"""Case records that are never overwritten: every save is a new version of a series.

Journal-like documents (inventories, assessments, profiles) keep their history: editing one
supersedes the current version and writes the next one, so earlier versions stay readable with
who saved them and when. A stale form (someone else saved first) is refused rather than
silently overwriting the newer version.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class VersionedRecord(models.Model):
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=gettext_lazy("ärende"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    series = models.UUIDField(default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(gettext_lazy("version"), default=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("sparad av"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(gettext_lazy("sparad"), default=timezone.now)
    superseded_at = models.DateTimeField(gettext_lazy("ersatt"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "version"], name="%(app_label)s_%(class)s_one_version"
            )
        ]
        indexes = [models.Index(fields=["case", "superseded_at"], name="%(class)s_current")]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.case_id}/{self.version}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None

    def versions(self):
        """Every version of this record, oldest first."""
        return (
            type(self)
            .objects.filter(series=self.series)
            .select_related("recorded_by")
            .order_by("version")
        )


def current(model, case):
    """The case's current records of this kind (one per series), newest first."""
    return model.objects.filter(case=case, superseded_at__isnull=True).select_related("recorded_by")


def conflict_message(newest: VersionedRecord) -> str:
    """Someone saved `newest` while the user was typing; what the user is told."""
    return _(
        "Någon annan har sparat en nyare version (version %(version)s, "
        "%(by)s %(at)s) medan du skrev. Dina uppgifter finns kvar i formuläret: "
        "öppna den nya versionen i en ny flik och för över det som ska med."
    ) % {
        "version": newest.version,
        "by": newest.recorded_by,
        "at": timezone.localtime(newest.recorded_at).strftime("%Y-%m-%d %H:%M"),
    }


def save_version(record: VersionedRecord, *, by, previous: VersionedRecord | None) -> None:
    """Save `record` as the next version after `previous` (or as a new series).

    `previous` is the version the user's form was based on. If it is no longer current,
    somebody saved in between: refuse with a message instead of overwriting their work.
    Call inside the service's transaction.
    """
    record.recorded_by = by
    record.recorded_at = timezone.now()
    if previous is not None:
        model = type(previous)
        locked = model.objects.select_for_update().get(pk=previous.pk)
        if locked.superseded_at is not None:
            newest = model.objects.filter(series=locked.series).order_by("-version").first()
            raise ValidationError(conflict_message(newest), code="conflict")
        model.objects.filter(pk=locked.pk).update(superseded_at=record.recorded_at)
        record.series = locked.series
        record.version = locked.version + 1
        record.case_id = locked.case_id
    record.pk = None
    record.save()
