"""Case-insensitive search that also folds å, ä, ö and other non-ASCII letters.

SQLite's LIKE and LOWER only fold ASCII, so "östberg" would not find "Östberg". The
`casefold` transform maps to LOWER() on PostgreSQL (Unicode-aware) and to Python's
str.casefold, registered as an SQL function on each SQLite connection.
"""

from django.db.backends.signals import connection_created
from django.db.models import CharField, TextField, Transform


class Casefold(Transform):
    lookup_name = "casefold"
    function = "LOWER"

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="insats_casefold", **extra_context)


def _casefold(value):
    return value.casefold() if isinstance(value, str) else value


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("insats_casefold", 1, _casefold, deterministic=True)


def install() -> None:
    CharField.register_lookup(Casefold)
    TextField.register_lookup(Casefold)
    connection_created.connect(register_sqlite_functions, dispatch_uid="insats_casefold")
