"""Writing many rows of one model at once, for read models that are rewritten whole
(licensing/services/catalog.py, marketplace/services/feed.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from django.db import connection
from django.db.models import JSONField, Model, QuerySet


def rows_insert(model: type[Model], objects: Sequence[Model]) -> None:
    """Insert ``objects`` (unsaved instances, every concrete field set) in one
    statement: PostgreSQL's COPY, or ``bulk_create`` elsewhere (SQLite). Django's
    ``bulk_create`` on PostgreSQL quotes each JSON value through a regular expression
    on the client, which is most of a rebuild's time; COPY sends the text as is."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects)
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    for obj in objects:
        for field in fields:
            field.pre_save(obj, add=True)  # auto_now timestamps
    columns = ", ".join(f'"{field.column}"' for field in fields)
    statement = f'COPY "{meta.db_table}" ({columns}) FROM STDIN'
    with connection.cursor() as wrapper, wrapper.cursor.copy(statement) as copy:
        for obj in objects:
            copy.write_row(
                tuple(
                    json.dumps(field.value_from_object(obj))
                    if isinstance(field, JSONField)
                    else field.get_db_prep_value(
                        field.value_from_object(obj), connection, prepared=False
                    )
                    for field in fields
                )
            )


def pk_batches(queryset: QuerySet, *, size: int) -> Iterator[list]:
    """The primary keys of ``queryset`` in ascending batches of at most ``size``, each
    read when the previous one has been handled (keyset paging: rows added or removed
    meanwhile never shift a batch)."""
    last = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        ids = list(page.values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]
