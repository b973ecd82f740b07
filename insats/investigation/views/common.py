"""What every investigation page shares: fetching a record of a case, and its versions."""

from django.http import Http404

from insats.core.records import VersionedRecord


def record_or_404(model, case_pk, record_pk) -> VersionedRecord:
    """The record if it belongs to that case.

    Checked before the case is fetched through the policy, so that a wrong id is a plain 404
    and leaves no logged access to the case behind. The policy fetch must still follow.
    """
    try:
        record = model.objects.select_related("recorded_by").get(pk=int(record_pk))
    except (model.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if record.case_id != int(case_pk):
        raise Http404
    return record


def current_version(record: VersionedRecord) -> VersionedRecord:
    """The newest version of the record's series (an old edit link leads to the current one)."""
    if record.is_current:
        return record
    return type(record).objects.get(series=record.series, superseded_at__isnull=True)
