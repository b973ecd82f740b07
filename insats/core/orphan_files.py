"""Files that no row names: what a rolled-back upload leaves behind.

A file is written before the row that names it and an old one is removed only after the
transaction that stops naming it commits (see `insats.consent.files`), so a write that dies
midway can leave a file without a row, never a row without its file. This sweep removes those
orphans for every `FileField` of every model, looking only in the directories the fields upload
to. A file younger than the grace period is kept: its upload may still be on its way to a
commit.

A database that names no file at all while files exist is more likely the wrong database (or
a database restored without its rows) than a system without documents, so the sweep refuses
rather than remove every signed consent.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

GRACE = timedelta(hours=24)


class SweepRefused(Exception):
    """The sweep would remove files it has reason to believe are not orphans."""


@dataclass
class Sweep:
    orphans: list[str] = field(default_factory=list)  # relative to their storage's root
    removed: list[str] = field(default_factory=list)
    fresh: int = 0  # unreferenced, but younger than the grace period
    referenced: int = 0


def _upload_dir(upload_to) -> str:
    """The fixed directory part of `upload_to` ("consents/%Y/" -> "consents/"); "" when the
    field may write anywhere in its storage."""
    if not isinstance(upload_to, str):
        return ""
    fixed = upload_to.split("%", 1)[0]
    return fixed.rsplit("/", 1)[0] + "/" if "/" in fixed else ""


def _file_fields():
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                yield model, model_field


def _areas() -> dict[Path, tuple[set[str], set[str]]]:
    """Per storage root on local disk: the directories its fields upload to, and every name a
    row of those fields holds."""
    areas: dict[Path, tuple[set[str], set[str]]] = {}
    for model, model_field in _file_fields():
        storage = model_field.storage
        if not isinstance(storage, FileSystemStorage):
            continue  # a remote storage has its own life-cycle rules
        dirs, names = areas.setdefault(Path(storage.location).resolve(), (set(), set()))
        dirs.add(_upload_dir(model_field.upload_to))
        names.update(
            model._base_manager.exclude(**{model_field.name: ""})
            .exclude(**{f"{model_field.name}__isnull": True})
            .values_list(model_field.name, flat=True)
            .iterator()
        )
    return areas


def _files_under(root: Path, directory: str):
    top = root / directory
    if not top.is_dir():
        return
    for folder, _dirs, names in os.walk(top):
        for name in names:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                yield path


def sweep(*, dry_run: bool = False, grace: timedelta = GRACE) -> Sweep:
    """Find (and unless `dry_run`, remove) the files no row names that are older than `grace`."""
    result = Sweep()
    oldest_kept = time.time() - grace.total_seconds()
    for root, (dirs, names) in _areas().items():
        # "" covers everything, so other directories would only be walked twice.
        walk = [""] if "" in dirs else sorted(dirs)
        seen: set[Path] = set()
        orphans: list[tuple[Path, str]] = []
        for directory in walk:
            for path in _files_under(root, directory):
                if path in seen:
                    continue
                seen.add(path)
                name = path.relative_to(root).as_posix()
                if name in names:
                    result.referenced += 1
                elif path.stat().st_mtime > oldest_kept:
                    result.fresh += 1
                else:
                    orphans.append((path, name))
        if orphans and not names:
            raise SweepRefused(
                _(
                    "Databasen hänvisar inte till någon fil men filarkivet %(root)s innehåller "
                    "%(count)s filer: ingen fil tas bort. Kontrollera att rätt databas och "
                    "filarkiv används."
                )
                % {"root": root, "count": len(orphans)}
            )
        for path, name in orphans:
            result.orphans.append(name)
            if dry_run:
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                continue  # removed meanwhile: the outcome wanted
            result.removed.append(name)
            logger.info("Removed orphan file %s", name)
    return result


def clean_orphan_files(today=None) -> int:
    """The daily job: how many orphan files were removed."""
    return len(sweep().removed)
