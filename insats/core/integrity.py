"""Turning a database "only one" constraint into the form's message.

A service checks "is it already there?" before it inserts, which gives the user a message in
the ordinary case; but two requests that pass the check at the same moment both insert, and
only the database's unique constraint stops the second. `only_one` runs the write in a
savepoint and turns a violation of that one constraint into the same ValidationError the
check gives, so a race ends in a message instead of a 500 and the surrounding transaction
stays usable. Any other IntegrityError is a bug and still propagates.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction


def violates(exc: IntegrityError, model: type[models.Model], name: str) -> bool:
    """Did this IntegrityError come from the model's unique constraint `name`?"""
    constraint = {c.name: c for c in model._meta.constraints}[name]
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # PostgreSQL names the violated constraint.
        return diag.constraint_name == name
    # SQLite names the columns only: "UNIQUE constraint failed: table.col, table.col".
    table = model._meta.db_table
    columns = ", ".join(f"{table}.{model._meta.get_field(f).column}" for f in constraint.fields)
    return str(exc) == f"UNIQUE constraint failed: {columns}"


@contextmanager
def only_one(model: type[models.Model], name: str, message) -> Iterator[None]:
    """Write inside a savepoint; a violation of constraint `name` raises ValidationError."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if not violates(exc, model, name):
            raise
        raise ValidationError(message) from exc
