"""manage.py screen_prompt "TEXT" [--characters ID ...] [--as EMAIL] --json

Prints the same decision as POST /api/v1/screen/, for the creator given by --as (or
as an anonymous creator holding no licences when omitted)."""

import json

from django.core.management.base import BaseCommand, CommandError

from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from core.errors import DomainError
from licensing.services import policy_screen


class Command(BaseCommand):
    help = "Screen a prompt against the registry and the licence terms, without generating."

    def add_arguments(self, parser):
        parser.add_argument("prompt")
        parser.add_argument("--characters", nargs="*", default=[], metavar="ID")
        parser.add_argument("--as", dest="email", help="Screen as this creator (email).")
        parser.add_argument("--territory", default=None)
        parser.add_argument("--commercial", action="store_true")
        parser.add_argument("--rating", default="all_ages")
        parser.add_argument("--json", action="store_true", help="Print the decision as JSON.")

    def handle(self, *args, prompt, characters, email, territory, commercial, rating, **options):
        if email:
            creator = accounts_selectors.user_by_email(email=email)
            if creator is None:
                raise CommandError(f"No user with email {email}")
        else:
            creator = accounts_services.screening_user_ensure()
        try:
            decision, record = policy_screen(
                creator=creator,
                prompt=prompt,
                character_ids=characters,
                territory=territory,
                commercial=commercial,
                rating=rating,
            )
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"id": str(record.pk), **decision.to_dict()}, ensure_ascii=False, indent=2
                )
            )
            return
        self.stdout.write("ALLOWED" if decision.allowed else "REFUSED")
        for reason in decision.reasons:
            self.stdout.write(f"  [{reason.severity}] {reason.term}: {reason.message}")
