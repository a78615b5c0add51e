"""manage.py import_watchlist [FILE.json]: add well-known characters nobody has
registered yet to the platform watchlist; prompts naming them are refused as not
licensable on Cocreate yet.

The file is a JSON list of {"name", "aliases": [...], "rightsholder", "note"} (and
optionally "active"); without a file, the starter list shipped in
licensing/data/watchlist.json. Idempotent on the name; a bad row is reported by number
and every valid row is still imported."""

from pathlib import Path

from licensing.management.commands._json_import import JsonImportCommand
from licensing.services.watchlist import STARTER_FILE, watchlist_import


class Command(JsonImportCommand):
    importer = staticmethod(watchlist_import)
    rows_are = "watchlist entries"

    help = "Import the platform watchlist from a JSON file (idempotent on the name)."

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            type=Path,
            nargs="?",
            default=STARTER_FILE,
            help="A JSON list of entries (default: the starter list shipped with Cocreate).",
        )
