"""Create the development C2PA signing keys. Never use them in production: there,
C2PA_CERT_CHAIN and C2PA_PRIVATE_KEY point at a certificate from a real CA."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marketplace.provenance.keys import create_dev_keys, dev_keys_paths


class Command(BaseCommand):
    help = (
        "Create a development root CA and C2PA signing certificate in the directory of "
        "C2PA_CERT_CHAIN. Existing keys are kept unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Replace existing keys with new ones."
        )

    def handle(self, *args, force: bool = False, **options):
        directory = Path(settings.C2PA_CERT_CHAIN).parent
        existing = dev_keys_paths(directory=directory)
        if existing.any_exist() and not force:
            self.stdout.write(
                f"Provenance keys already exist in {directory}; use --force to replace them."
            )
            return

        try:
            keys = create_dev_keys(
                directory=directory, force=force, organization=settings.PROVENANCE_ISSUER
            )
        except OSError as exc:
            raise CommandError(f"Could not write the keys to {directory}: {exc}") from exc

        self.stdout.write(self.style.SUCCESS(f"Created development provenance keys in {directory}"))
        for label, path in (
            ("certificate chain", keys.chain),
            ("signing key", keys.signer_key),
            ("signing certificate", keys.signer_cert),
            ("root certificate (trust anchor)", keys.root_cert),
            ("root key", keys.root_key),
        ):
            self.stdout.write(f"  {label}: {path}")

        # The settings name each file; say so when they are not the ones just written.
        for setting, written in (
            ("C2PA_CERT_CHAIN", keys.chain),
            ("C2PA_PRIVATE_KEY", keys.signer_key),
            ("C2PA_TRUST_ANCHORS", keys.root_cert),
        ):
            configured = Path(getattr(settings, setting))
            if configured.resolve() != written.resolve():
                self.stdout.write(
                    self.style.WARNING(f"  {setting} is {configured}, not {written}: update it")
                )
