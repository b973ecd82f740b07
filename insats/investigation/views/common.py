"""What every versioned-record page shares: the way from an old version to the current one.

Records named in a URL come from the gate (`insats.access.gate.Child`), never from here.
"""

from insats.core.records import VersionedRecord


def current_version(record: VersionedRecord) -> VersionedRecord:
    """The newest version of the record's series (an old edit link leads to the current one)."""
    if record.is_current:
        return record
    return type(record).objects.get(series=record.series, superseded_at__isnull=True)
