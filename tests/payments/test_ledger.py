import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from payments import services
from payments.enums import AccountKind
from payments.models import LedgerEntry, LedgerTransaction
from payments.money import Money
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _accounts():
    user, org = UserFactory(), OrganizationFactory()
    return (
        services.account_for(owner=user, kind=AccountKind.AVAILABLE, currency="USD"),
        services.account_for(owner=org, kind=AccountKind.PENDING, currency="USD"),
        services.platform_account(kind=AccountKind.STRIPE_CLEARING, currency="USD"),
    )


def test_a_balanced_transaction_posts_once_and_balances_derive_from_entries():
    mine, theirs, clearing = _accounts()
    lines = [
        services.Line(clearing, Money(-1_000, "USD")),
        services.Line(mine, Money(700, "USD")),
        services.Line(theirs, Money(300, "USD")),
    ]

    first, created = services.ledger_post(key="test:1", kind="test", lines=lines)
    again, created_again = services.ledger_post(key="test:1", kind="test", lines=lines)

    assert created and not created_again and first.pk == again.pk
    assert services.balance(account=mine) == Money(700, "USD")
    assert LedgerEntry.objects.filter(transaction=first).count() == 3
    assert services.ledger_totals() == {"USD": 0}


def test_an_unbalanced_or_mixed_currency_transaction_is_refused():
    mine, _theirs, clearing = _accounts()

    with pytest.raises(services.LedgerError, match="does not balance"):
        services.ledger_post(
            key="bad",
            kind="test",
            lines=[
                services.Line(clearing, Money(-100, "USD")),
                services.Line(mine, Money(99, "USD")),
            ],
        )
    with pytest.raises(services.LedgerError, match="cannot go to a USD account"):
        services.ledger_post(key="bad2", kind="test", lines=[services.Line(mine, Money(1, "JPY"))])
    assert not LedgerTransaction.objects.exists()


@pytest.mark.postgresql
def test_the_database_refuses_unbalanced_entries_and_changes_to_entries():
    mine, _, clearing = _accounts()
    txn, _ = services.ledger_post(
        key="ok",
        kind="test",
        lines=[services.Line(clearing, Money(-5, "USD")), services.Line(mine, Money(5, "USD"))],
    )

    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        LedgerEntry.objects.create(transaction=txn, account=mine, amount=1, currency="USD")
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        LedgerEntry.objects.filter(transaction=txn).update(amount=6)
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        LedgerEntry.objects.filter(transaction=txn).delete()


def test_staff_see_any_accounts_entries_in_the_admin(staff_client, staff):
    mine, _, clearing = _accounts()
    services.ledger_post(
        key="admin",
        kind="test",
        memo="a visible memo",
        lines=[services.Line(clearing, Money(-5, "USD")), services.Line(mine, Money(5, "USD"))],
    )

    accounts = staff_client.get(reverse("admin:payments_ledgeraccount_changelist")).content.decode()
    entries = staff_client.get(
        reverse("admin:payments_ledgerentry_changelist"), {"account__id__exact": mine.pk}
    ).content.decode()

    assert f"?account__id__exact={mine.pk}" in accounts
    assert "1 ledger entry" in entries or "1 result" in entries
