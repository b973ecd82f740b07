"""Backup and restore of Insats: the database and the files directory, as one unit.

A database dump alone is not a backup of Insats: signed consent scans live in the files
directory (`MEDIA_ROOT`, `INSATS_FILES_DIR`) and rows name them, so a database-only restore
leaves rows pointing at nothing. A backup is one directory:

    database.dump   PostgreSQL: `pg_dump --format=custom`; SQLite: an online-backup copy
    files/          a copy of the files directory
    manifest.json   when, which version, which engine and migrations, the sha256 and size of
                    the dump and of every file, and the files the dumped rows name

Consistency: the database is dumped first, in one snapshot, and the files its rows name are
read in that same snapshot (PostgreSQL: an exported snapshot shared with `pg_dump`; SQLite:
read from the copy). Files are copied afterwards: a file only ever appears before the row
that names it, so every file a dumped row names is already there; one removed in between is
reported as missing and the backup command fails so that the nightly run is noticed.

Restore goes only into an empty database and an empty files directory, checks every checksum
before and after copying, then verifies the access log and that every file a restored row
names is present with the checksum the manifest recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dj_database_url
from django.apps import apps
from django.conf import settings
from django.db import connections, models
from django.db.utils import load_backend
from django.utils.translation import gettext as _

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files"
_CHUNK = 1024 * 1024
_TOOL_TIMEOUT = 6 * 60 * 60  # a dump or restore that takes longer is stuck, not slow


class BackupError(Exception):
    """A backup or restore that must stop; the message is for the operator (Swedish)."""


# --- database settings ------------------------------------------------------------------------


def database_settings(url: str | None = None, *, alias: str = "default") -> dict:
    """Complete connection settings: from a URL (a restore drill's scratch database) or the
    connection Django uses now (which, under the test runner, is the test database)."""
    if not url:
        return dict(connections[alias].settings_dict)
    return connections.configure_settings({"default": dj_database_url.parse(url)})["default"]


def engine_of(settings_dict: dict) -> str:
    engine = settings_dict["ENGINE"]
    if engine == "django.db.backends.postgresql":
        return "postgresql"
    if engine == "django.db.backends.sqlite3":
        return "sqlite"
    raise BackupError(_("Databasmotorn %(engine)s stöds inte.") % {"engine": engine})


def _pg_env(settings_dict: dict) -> dict[str, str]:
    """libpq environment for pg_dump/pg_restore: the password never appears on a command line
    (where `ps` would show it)."""
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    options = settings_dict.get("OPTIONS") or {}
    for variable, key in (
        ("PGSSLMODE", "sslmode"),
        ("PGSSLROOTCERT", "sslrootcert"),
        ("PGSSLCERT", "sslcert"),
        ("PGSSLKEY", "sslkey"),
    ):
        if options.get(key):
            env[variable] = str(options[key])
    return env


def _pg_connect(settings_dict: dict, *, dbname: str | None = None, autocommit: bool = False):
    import psycopg

    options = settings_dict.get("OPTIONS") or {}
    params = {
        "dbname": dbname or settings_dict["NAME"],
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "sslmode": options.get("sslmode"),
    }
    return psycopg.connect(
        autocommit=autocommit, **{key: value for key, value in params.items() if value}
    )


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        subprocess.run(  # noqa: S603 - fixed program, arguments are ours
            command, env=env, check=True, capture_output=True, text=True, timeout=_TOOL_TIMEOUT
        )
    except FileNotFoundError as error:
        raise BackupError(
            _("Programmet %(program)s saknas; installera PostgreSQL-klienten.")
            % {"program": command[0]}
        ) from error
    except subprocess.CalledProcessError as error:
        raise BackupError(
            _("%(program)s misslyckades: %(error)s")
            % {"program": command[0], "error": (error.stderr or "").strip()[-2000:]}
        ) from error


# --- what rows name ---------------------------------------------------------------------------


def _file_columns() -> list[tuple[str, str]]:
    """(table, column) of every file field of every concrete model."""
    columns = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                columns.append((model._meta.db_table, model_field.column))
    return sorted(columns)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def referenced_files(cursor) -> list[str]:
    """Every file name any row names, read with a DB-API cursor (so it can run inside the
    dump's snapshot or on the SQLite copy, not only on Django's connection)."""
    names: set[str] = set()
    for table, column in _file_columns():
        cursor.execute(
            f"SELECT {_quote(column)} FROM {_quote(table)} "  # noqa: S608 - names from models
            f"WHERE {_quote(column)} IS NOT NULL AND {_quote(column)} <> ''"
        )
        names.update(row[0] for row in cursor.fetchall())
    return sorted(names)


def migration_state(cursor) -> dict[str, list[str]]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, id")
    state: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        state.setdefault(app, []).append(name)
    return state


# --- files ------------------------------------------------------------------------------------


def sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _copy_hashed(source: Path, target: Path) -> tuple[str, int]:
    """Copy and hash what was read, so the checksum describes the copy even if the source
    changes meanwhile; the copy is readable by its owner only and on disk when this returns."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest, size = hashlib.sha256(), 0
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with source.open("rb") as reader, os.fdopen(descriptor, "wb") as writer:
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest(), size


def _regular_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(name relative to root, path) of every regular file under root, in a stable order;
    symbolic links are skipped, they could point outside the directory."""
    if not root.is_dir():
        return
    for directory, subdirectories, names in os.walk(root):
        subdirectories.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def _inside(root: Path, name: str) -> Path | None:
    """The path a stored file name points to, or None if it would leave the directory."""
    path = (root / name).resolve()
    return path if path.is_relative_to(root.resolve()) else None


# --- backup -----------------------------------------------------------------------------------


def _version() -> dict[str, str | None]:
    try:
        with (Path(settings.BASE_DIR) / "pyproject.toml").open("rb") as project:
            version = tomllib.load(project)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        version = None
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],  # noqa: S607
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        described = None
    return {"version": version, "git": described or None}


def _dump_postgresql(settings_dict: dict, target: Path) -> tuple[list[str], dict]:
    """pg_dump in a snapshot this connection exported, and the file names read in the same
    snapshot: the list describes exactly the rows in the dump."""
    import psycopg

    with _pg_connect(settings_dict) as connection:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-password",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    f"--dbname={settings_dict['NAME']}",
                ],
                _pg_env(settings_dict),
            )
            names, migrations = referenced_files(cursor), migration_state(cursor)
        connection.rollback()
    target.chmod(0o600)
    return names, migrations


def _dump_sqlite(alias: str, target: Path) -> tuple[list[str], dict]:
    """SQLite's online backup (consistent while others write), then read from the copy."""
    wrapper = connections[alias]
    wrapper.ensure_connection()
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    copy = sqlite3.connect(target)
    try:
        wrapper.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        cursor = copy.cursor()
        return referenced_files(cursor), migration_state(cursor)
    finally:
        copy.close()


@dataclass
class BackupResult:
    path: Path
    manifest: dict


def create_backup(output: Path, *, alias: str = "default", files_dir: Path | None = None):
    """Write a backup directory at `output` (which must not exist yet).

    It is written under a temporary name beside it and renamed when complete, so a directory
    with the final name is never half a backup.
    """
    output = Path(output)
    files_dir = Path(files_dir or settings.MEDIA_ROOT)
    if output.exists():
        raise BackupError(
            _("%(path)s finns redan; ange en ny katalog för säkerhetskopian.") % {"path": output}
        )
    if not output.parent.is_dir():
        raise BackupError(_("Katalogen %(path)s finns inte.") % {"path": output.parent})
    settings_dict = database_settings(alias=alias)
    engine = engine_of(settings_dict)
    work = output.with_name(f".{output.name}.ofullstandig-{os.getpid()}")
    work.mkdir(mode=0o700)
    try:
        created_at = datetime.now(UTC)
        dump = work / DUMP
        if engine == "postgresql":
            referenced, migrations = _dump_postgresql(settings_dict, dump)
        else:
            referenced, migrations = _dump_sqlite(alias, dump)
        dump_sha, dump_size = sha256_of(dump)

        (work / FILES).mkdir(mode=0o700)
        files = {}
        for name, path in _regular_files(files_dir):
            sha, size = _copy_hashed(path, work / FILES / name)
            files[name] = {"sha256": sha, "size": size}

        manifest = {
            "format": FORMAT,
            "created_at": created_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "insats": _version(),
            "database": {
                "engine": engine,
                "name": Path(str(settings_dict["NAME"])).name,
                "file": DUMP,
                "sha256": dump_sha,
                "size": dump_size,
            },
            "migrations": migrations,
            "files": files,
            "referenced_files": referenced,
            "missing_files": [name for name in referenced if name not in files],
        }
        _write_json(work / MANIFEST, manifest)
        work.rename(output)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BackupResult(output, manifest)


def _write_json(path: Path, data: dict) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as target:
        json.dump(data, target, ensure_ascii=False, indent=2, sort_keys=True)
        target.write("\n")
        target.flush()
        os.fsync(target.fileno())


# --- restore ----------------------------------------------------------------------------------


def read_manifest(backup: Path) -> dict:
    path = Path(backup) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BackupError(
            _("%(path)s saknas: det här är ingen säkerhetskopia av Insats.") % {"path": path}
        ) from error
    except (OSError, ValueError) as error:
        raise BackupError(
            _("%(path)s kan inte läsas: %(error)s") % {"path": path, "error": error}
        ) from error
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("Säkerhetskopian har formatet %(found)s; den här versionen läser %(format)s.")
            % {"found": manifest.get("format"), "format": FORMAT}
        )
    return manifest


def verify_backup(backup: Path, manifest: dict) -> list[str]:
    """Problems with the backup itself: a dump or file missing, changed or not listed."""
    backup = Path(backup)
    problems = []
    dump = backup / manifest["database"]["file"]
    if not dump.is_file():
        problems.append(_("Databasdumpen %(path)s saknas.") % {"path": dump})
    elif sha256_of(dump) != (manifest["database"]["sha256"], manifest["database"]["size"]):
        problems.append(
            _("Databasdumpen %(path)s har ändrats (fel kontrollsumma).") % {"path": dump}
        )
    present = dict(_regular_files(backup / FILES))
    for name, expected in sorted(manifest["files"].items()):
        if name not in present:
            problems.append(_("Filen %(name)s saknas i säkerhetskopian.") % {"name": name})
        elif sha256_of(present[name]) != (expected["sha256"], expected["size"]):
            problems.append(_("Filen %(name)s har ändrats (fel kontrollsumma).") % {"name": name})
    for name in sorted(set(present) - set(manifest["files"])):
        problems.append(_("Filen %(name)s finns inte i manifestet.") % {"name": name})
    return problems


def _require_empty_directory(path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError(
            _(
                "Filkatalogen %(path)s är inte tom. Återställ bara till en tom katalog, så att "
                "inga befintliga filer skrivs över."
            )
            % {"path": path}
        )


def _require_empty_postgresql(settings_dict: dict) -> None:
    import psycopg

    try:
        connection = _pg_connect(settings_dict, autocommit=True)
    except psycopg.OperationalError as error:
        raise BackupError(
            _(
                "Kan inte ansluta till databasen %(name)s (%(error)s). Skapa en tom databas "
                "först, till exempel med createdb."
            )
            % {"name": settings_dict["NAME"], "error": str(error).strip()}
        ) from error
    with connection:
        tables = connection.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg_toast%'"
        ).fetchone()[0]
    if tables:
        raise BackupError(
            _(
                "Databasen %(name)s är inte tom (%(count)s tabeller eller sekvenser). Återställ "
                "bara till en nyskapad, tom databas."
            )
            % {"name": settings_dict["NAME"], "count": tables}
        )


def _sqlite_path(settings_dict: dict) -> Path:
    name = str(settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name or not name:
        raise BackupError(_("En SQLite-databas kan bara återställas till en fil."))
    return Path(name)


def _require_empty_sqlite(path: Path) -> None:
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-journal")):
        if candidate.exists() and candidate.stat().st_size > 0:
            raise BackupError(
                _(
                    "Databasfilen %(path)s finns redan. Återställ bara till en ny fil, så att "
                    "ingen befintlig databas skrivs över."
                )
                % {"path": candidate}
            )


def restore_backup(
    backup: Path, *, settings_dict: dict, files_dir: Path, no_owner: bool = False
) -> dict:
    """Restore a backup into an empty database and an empty files directory; returns the
    manifest. Nothing is written before the backup's checksums and both targets are checked."""
    backup, files_dir = Path(backup), Path(files_dir)
    manifest = read_manifest(backup)
    problems = verify_backup(backup, manifest)
    if problems:
        raise BackupError(
            _("Säkerhetskopian är skadad; inget har återställts.") + "\n" + "\n".join(problems)
        )
    engine = engine_of(settings_dict)
    if engine != manifest["database"]["engine"]:
        raise BackupError(
            _("Säkerhetskopian kommer från %(source)s och kan inte återställas till %(target)s.")
            % {"source": manifest["database"]["engine"], "target": engine}
        )
    _require_empty_directory(files_dir)
    dump = backup / manifest["database"]["file"]
    if engine == "postgresql":
        _require_empty_postgresql(settings_dict)
        command = ["pg_restore", "--exit-on-error", "--single-transaction", "--no-password"]
        if no_owner:
            command += ["--no-owner", "--no-privileges"]
        _run([*command, f"--dbname={settings_dict['NAME']}", str(dump)], _pg_env(settings_dict))
    else:
        target = _sqlite_path(settings_dict)
        _require_empty_sqlite(target)
        if target.exists():
            target.unlink()  # an empty file left by a failed attempt
        _copy_hashed(dump, target)

    files_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, expected in sorted(manifest["files"].items()):
        target = _inside(files_dir, name)
        if target is None:
            raise BackupError(_("Filnamnet %(name)s pekar ut ur katalogen.") % {"name": name})
        if _copy_hashed(backup / FILES / name, target) != (expected["sha256"], expected["size"]):
            raise BackupError(
                _("Filen %(name)s blev fel när den kopierades (fel kontrollsumma).")
                % {"name": name}
            )
    return manifest


# --- checks on a live or restored installation ----------------------------------------------


@dataclass
class FileCheck:
    referenced: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.changed

    def problems(self) -> list[str]:
        return [_("Filen %(name)s saknas.") % {"name": name} for name in self.missing] + [
            _("Filen %(name)s stämmer inte med säkerhetskopians kontrollsumma.") % {"name": name}
            for name in self.changed
        ]


def check_files(files_dir: Path, *, manifest: dict | None = None, alias: str = "default"):
    """Every file a row names exists under files_dir (and, given a manifest, has the checksum
    the backup recorded)."""
    files_dir = Path(files_dir)
    with connections[alias].cursor() as cursor:
        names = referenced_files(cursor)
    result = FileCheck(referenced=len(names))
    recorded = manifest["files"] if manifest else {}
    for name in names:
        path = _inside(files_dir, name)
        if path is None or not path.is_file():
            result.missing.append(name)
        elif manifest is not None and (
            name not in recorded
            or sha256_of(path) != (recorded[name]["sha256"], recorded[name]["size"])
        ):
            result.changed.append(name)
    return result


@contextmanager
def connected_to(settings_dict: dict, alias: str = "default") -> Iterator[None]:
    """Point Django's `alias` connection at another database for the block, e.g. a restored
    one, so the ordinary code (the access-log verification, the app itself) reads it."""
    backend = load_backend(settings_dict["ENGINE"])
    wrapper = backend.DatabaseWrapper(settings_dict, alias)
    previous = connections[alias]
    connections[alias] = wrapper
    try:
        yield
    finally:
        wrapper.close()
        connections[alias] = previous


def pending_migrations() -> list[str]:
    """Migrations the code has that the connected database lacks (after restoring an older
    backup: run `migrate`)."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections["default"])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
