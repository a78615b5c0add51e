"""The platform watchlist: well-known characters nobody has registered on Cocreate yet,
kept by staff in the admin and with ``manage.py import_watchlist``. Prompt screening
refuses a prompt naming one as not licensable here yet.

An entry's ``forms`` are derived as a registered character's are, by ``derive_forms``
over its name and each alias, and stored as ``[{"text", "origin", "source"}]``
(``origin`` a FormOrigin value, ``source`` the name or alias it came from). Every write
announces itself to screening with ``registry_changed()``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_record
from core.errors import DomainError, ErrorCode, NotPermitted
from licensing.models import WatchlistEntry
from licensing.policy.forms import derive_forms
from licensing.policy.normalize import normalize
from licensing.policy.registry import registry_changed
from licensing.services.imports import ImportReport

if TYPE_CHECKING:
    from accounts.models import User


# The starter list shipped with Cocreate (seed_demo imports it; so may any deployment).
STARTER_FILE = Path(__file__).resolve().parent.parent / "data" / "watchlist.json"
MAX_NAME = 120
MAX_RIGHTSHOLDER = 120
MAX_NOTE = 200
ROW_KEYS = ("name", "aliases", "rightsholder", "note", "active")


@dataclass(frozen=True)
class WatchlistRow:
    """One entry as given. None for a field not given: an import leaves it as it is."""

    name: str
    aliases: tuple[str, ...] = ()
    rightsholder: str | None = None
    note: str | None = None
    active: bool | None = None


def _key(text: str) -> str:
    # How the registry tells names apart (licensing.policy.forms screens forms the same
    # way): two texts with one key are found by the same prompts.
    return normalize(text).replace(" ", "")


def _text(row: dict[str, Any], field: str, limit: int) -> str | None:
    value = row.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise DomainError(f"'{field}' must be text.", field=field)
    if len(value.strip()) > limit:
        raise DomainError(f"'{field}' is longer than {limit} characters.", field=field)
    return value.strip()


def watchlist_row_parse(row: Any) -> WatchlistRow:
    """A row of the watchlist file (or the admin form) checked and tidied: the name
    required, aliases a list of text, blank aliases and those that normalise like the
    name or an earlier alias dropped. Raises DomainError naming the field."""
    if not isinstance(row, dict):
        raise DomainError("Each row must be an object.")
    unknown = sorted(set(row) - set(ROW_KEYS))
    if unknown:
        raise DomainError(
            f"Unknown field {unknown[0]!r}; a row has {', '.join(ROW_KEYS)}.", field=unknown[0]
        )
    name = _text(row, "name", MAX_NAME)
    if not name:
        raise DomainError("'name' is required.", code=ErrorCode.REQUIRED, field="name")
    aliases = row.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise DomainError("'aliases' must be a list of text.", field="aliases")
    seen = {normalize(name)}
    kept: list[str] = []
    for alias in (a.strip() for a in aliases):
        if len(alias) > MAX_NAME:
            raise DomainError(
                f"The alias {alias[:20]!r}… is longer than {MAX_NAME} characters.",
                field="aliases",
            )
        if normalize(alias) and normalize(alias) not in seen:
            seen.add(normalize(alias))
            kept.append(alias)
    active = row.get("active")
    if active is not None and not isinstance(active, bool):
        raise DomainError("'active' must be true or false.", field="active")
    return WatchlistRow(
        name=name,
        aliases=tuple(kept),
        rightsholder=_text(row, "rightsholder", MAX_RIGHTSHOLDER),
        note=_text(row, "note", MAX_NOTE),
        active=active,
    )


def watchlist_forms(*, name: str, aliases: Iterable[str]) -> list[dict[str, str]]:
    """The forms a prompt may write the entry in, beside its name and aliases: the same
    derivation as a registered character's, each form once across all its sources."""
    sources = [name, *aliases]
    seen = {_key(s) for s in sources}
    forms: list[dict[str, str]] = []
    for source in sources:
        for form in derive_forms(source):
            key = _key(form.text)
            if key in seen:
                continue
            seen.add(key)
            forms.append({"text": form.text, "origin": form.origin, "source": source})
    return forms


def _require_staff(by: User) -> None:
    if not by.is_staff:
        raise NotPermitted("Only staff keep the watchlist.")


def watchlist_entry_check(
    *,
    entry: WatchlistEntry | None = None,
    name: str,
    aliases: Iterable[str] = (),
    rightsholder: str = "",
    note: str = "",
    active: bool = True,
) -> WatchlistRow:
    """What ``watchlist_entry_save`` would store, checked, without storing it (for a
    form to show the problem beside its field). Raises DomainError naming the field."""
    row = watchlist_row_parse(
        {
            "name": name,
            "aliases": list(aliases),
            "rightsholder": rightsholder,
            "note": note,
            "active": active,
        }
    )
    clash = WatchlistEntry.objects.filter(name__iexact=row.name)
    if entry is not None:
        clash = clash.exclude(pk=entry.pk)
    if clash.exists():
        raise DomainError(
            f"{row.name!r} is already on the watchlist.", code=ErrorCode.DUPLICATE, field="name"
        )
    return row


@transaction.atomic
def watchlist_entry_save(
    *,
    by: User,
    entry: WatchlistEntry | None = None,
    name: str,
    aliases: Iterable[str] = (),
    rightsholder: str = "",
    note: str = "",
    active: bool = True,
) -> WatchlistEntry:
    """Add an entry (``entry`` None) or replace one's fields, deriving its forms again.
    Staff only. Refused when another entry has the name (in any case)."""
    _require_staff(by)
    row = watchlist_entry_check(
        entry=entry,
        name=name,
        aliases=aliases,
        rightsholder=rightsholder,
        note=note,
        active=active,
    )
    added = entry is None
    if entry is not None:
        entry = WatchlistEntry.objects.select_for_update().get(pk=entry.pk)
    else:
        entry = WatchlistEntry()
    entry.name = row.name
    entry.aliases = list(row.aliases)
    entry.rightsholder = row.rightsholder or ""
    entry.note = row.note or ""
    entry.active = active
    entry.forms = watchlist_forms(name=row.name, aliases=row.aliases)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        raise DomainError(
            f"{row.name!r} is already on the watchlist.", code=ErrorCode.DUPLICATE, field="name"
        ) from exc
    audit_record(
        action="watchlist.added" if added else "watchlist.changed",
        actor=by,
        subject=entry,
        data={"name": entry.name, "aliases": entry.aliases, "active": entry.active},
        reason=entry.note,
    )
    registry_changed()
    return entry


@transaction.atomic
def watchlist_entries_set_active(*, ids: Iterable, active: bool, by: User) -> int:
    """Staff switch entries on or off (an entry switched off screens nothing). Returns
    how many changed."""
    _require_staff(by)
    changing = list(
        WatchlistEntry.objects.select_for_update()
        .filter(pk__in=list(ids))
        .exclude(active=active)
        .order_by("pk")
    )
    count = WatchlistEntry.objects.filter(pk__in=[e.pk for e in changing]).update(
        active=active, updated_at=timezone.now()
    )
    for entry in changing:
        audit_record(
            action="watchlist.activated" if active else "watchlist.deactivated",
            actor=by,
            subject=entry,
            data={"name": entry.name},
        )
    if count:
        registry_changed()
    return count


def watchlist_import(*, rows: list[Any]) -> ImportReport:
    """Add or update each row's entry, idempotent on the name (in any case). An existing
    entry keeps its aliases and gains the row's new ones; ``rightsholder``, ``note`` and
    ``active`` change only where the row gives them; forms are derived again. Each row
    commits on its own, so a bad row is reported by number and loses no valid row. An
    operator action: it runs with the platform's authority."""
    report = ImportReport()
    for number, raw in enumerate(rows, start=1):
        try:
            row = watchlist_row_parse(raw)
            with transaction.atomic():
                outcome = _upsert(row)
        except DomainError as exc:
            report.errors.append((number, exc.detail))
            continue
        except IntegrityError as exc:
            report.errors.append((number, f"could not be saved: {exc}"))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    if report.created or report.updated:
        registry_changed()
    return report


def watchlist_starter_rows() -> list[Any]:
    """The rows of the starter watchlist shipped in ``licensing/data/watchlist.json``."""
    return json.loads(STARTER_FILE.read_text(encoding="utf-8"))


def _upsert(row: WatchlistRow) -> str:
    entry = WatchlistEntry.objects.select_for_update().filter(name__iexact=row.name).first()
    if entry is None:
        entry = WatchlistEntry.objects.create(
            name=row.name,
            aliases=list(row.aliases),
            forms=watchlist_forms(name=row.name, aliases=row.aliases),
            rightsholder=row.rightsholder or "",
            note=row.note or "",
            active=True if row.active is None else row.active,
        )
        _audit_import(entry, "watchlist.added")
        return "created"
    known = {normalize(entry.name), *(normalize(a) for a in entry.aliases)}
    aliases = [*entry.aliases, *(a for a in row.aliases if normalize(a) not in known)]
    wanted: dict[str, Any] = {
        "aliases": aliases,
        "forms": watchlist_forms(name=entry.name, aliases=aliases),
    }
    for field in ("rightsholder", "note", "active"):
        if getattr(row, field) is not None:
            wanted[field] = getattr(row, field)
    changed = [f for f, v in wanted.items() if getattr(entry, f) != v]
    if not changed:
        return "unchanged"
    for f in changed:
        setattr(entry, f, wanted[f])
    entry.save(update_fields=[*changed, "updated_at"])
    _audit_import(entry, "watchlist.changed")
    return "updated"


def _audit_import(entry: WatchlistEntry, action: str) -> None:
    audit_record(
        action=action,
        actor="import",
        subject=entry,
        data={"name": entry.name, "aliases": entry.aliases, "active": entry.active},
        reason=entry.note,
    )
