"""manage.py import_characters FILE.json: bulk-import a catalogue.

The file is a JSON list of {"owner": org slug (or a person's email for a likeness),
"name", "aliases": [...], "description", "kind", "disallowed"}, optionally with
"lookalike_action" (refuse, review or allow). Idempotent on (owner, name); a bad row is
reported by number and every valid row is still imported. The workers embed the new
descriptions for lookalike screening (``embed_descriptions`` does it here)."""

from pathlib import Path

from licensing.management.commands._json_import import JsonImportCommand
from licensing.services.imports import characters_import


class Command(JsonImportCommand):
    importer = staticmethod(characters_import)
    rows_are = "characters"

    help = "Import characters from a JSON file (idempotent on owner and name)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
