"""manage.py run_payouts: one payout pass by hand (beat runs it hourly)."""

from django.core.management.base import BaseCommand

from payments.services import payouts_run
from payments.stripe_gateway import StripeGateway


class Command(BaseCommand):
    help = "Create and submit every due payout once."

    def handle(self, *args, **options):
        done = payouts_run(gateway=StripeGateway.from_settings())
        for payout in done:
            self.stdout.write(f"{payout.pk} {payout.amount} {payout.currency} {payout.status}")
        self.stdout.write(self.style.SUCCESS(f"{len(done)} payout(s) processed."))
