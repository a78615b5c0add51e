import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from core.money import Money
from payments import services
from payments.enums import AccountKind
from payments.models import LedgerEntry, LedgerTransaction
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _accounts():
    user, org = UserFactory(), OrganizationFactory()
    return (
        services.account_for(owner=user, kind=AccountKind.AVAILABLE, currency="USD"),
        services.account_for(owner=org, kind=AccountKind.PENDING, currency="USD"),
        services.platform_account(kind=AccountKind.STRIPE_CLEARING, currency="USD"),
    )


def _posted(mine, clearing):
    """A posted transaction moving 5 USD from the clearing account to ``mine``."""
    txn, _ = services.ledger_post(
        key="ok",
        kind="test",
        lines=[services.Line(clearing, Money(-5, "USD")), services.Line(mine, Money(5, "USD"))],
    )
    return txn


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
    txn = _posted(mine, clearing)

    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        LedgerEntry.objects.create(transaction=txn, account=mine, amount=1, currency="USD")
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        LedgerEntry.objects.filter(transaction=txn).update(amount=6)
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        LedgerEntry.objects.filter(transaction=txn).delete()


@pytest.mark.postgresql
def test_the_database_checks_every_transaction_of_a_many_transaction_insert():
    # given many transactions, two already holding entries (one of them balanced)
    mine, _, clearing = _accounts()
    txns = [LedgerTransaction.objects.create(key=f"t{i}", kind="test") for i in range(50)]
    services.ledger_post(
        key="posted",
        kind="test",
        lines=[services.Line(clearing, Money(-7, "USD")), services.Line(mine, Money(7, "USD"))],
    )
    posted = LedgerTransaction.objects.get(key="posted")

    def pair(txn, amount, off=0):
        return [
            LedgerEntry(transaction=txn, account=clearing, amount=-amount, currency="USD"),
            LedgerEntry(transaction=txn, account=mine, amount=amount + off, currency="USD"),
        ]

    balanced = [entry for i, txn in enumerate(txns) for entry in pair(txn, i + 1)]

    # when one statement inserts all of them balanced, with a balanced pair for the
    # already posted one, then it is accepted
    LedgerEntry.objects.bulk_create([*balanced, *pair(posted, 3)])
    assert services.ledger_totals() == {"USD": 0}

    # and when one statement is off by one in a single transaction among many, or adds
    # to a posted transaction a line that unbalances it with its earlier entries, then
    # it is refused, naming that transaction
    fresh = [LedgerTransaction.objects.create(key=f"u{i}", kind="test") for i in range(50)]
    rows = [entry for i, txn in enumerate(fresh) for entry in pair(txn, i + 1, off=i == 37)]
    with pytest.raises(IntegrityError, match=str(fresh[37].pk)), transaction.atomic():
        LedgerEntry.objects.bulk_create(rows)
    with pytest.raises(IntegrityError, match=str(posted.pk)), transaction.atomic():
        LedgerEntry.objects.bulk_create(
            [
                *pair(fresh[0], 5),
                LedgerEntry(transaction=posted, account=mine, amount=2, currency="USD"),
            ]
        )


@pytest.mark.postgresql
def test_the_database_refuses_entries_naming_a_missing_account_or_transaction():
    # given a posted transaction (entries name their account and transaction without a
    # foreign key: the balance trigger checks both once per statement)
    mine, _, clearing = _accounts()
    txn = _posted(mine, clearing)
    ghost_txn = LedgerTransaction(key="never-saved", kind="test")

    # when a statement's entries name an account or a transaction that does not exist,
    # even balanced, then it is refused, naming it, and nothing is written
    with pytest.raises(IntegrityError, match=f"account {mine.pk + 1000}"), transaction.atomic():
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(transaction=txn, account=clearing, amount=-1, currency="USD"),
                LedgerEntry(transaction=txn, account_id=mine.pk + 1000, amount=1, currency="USD"),
            ]
        )
    with pytest.raises(IntegrityError, match=str(ghost_txn.pk)), transaction.atomic():
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(transaction=ghost_txn, account=clearing, amount=-1, currency="USD"),
                LedgerEntry(transaction=ghost_txn, account=mine, amount=1, currency="USD"),
            ]
        )
    assert LedgerEntry.objects.count() == 2


@pytest.mark.postgresql
def test_ledger_accounts_and_transactions_are_never_deleted_or_renumbered():
    # given a posted transaction on two accounts
    mine, _, clearing = _accounts()
    txn = _posted(mine, clearing)

    # when SQL (not the ORM, whose PROTECT stops it first) deletes or renumbers them,
    # then the database refuses: what the entries name stays there
    for sql, params in [
        ("DELETE FROM payments_ledgertransaction WHERE id = %s", [txn.pk]),
        ("UPDATE payments_ledgertransaction SET id = gen_random_uuid() WHERE id = %s", [txn.pk]),
        ("DELETE FROM payments_ledgeraccount WHERE id = %s", [mine.pk]),
        ("UPDATE payments_ledgeraccount SET id = id + 1000 WHERE id = %s", [mine.pk]),
    ]:
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
    assert services.balance(account=mine) == Money(5, "USD")
    assert LedgerTransaction.objects.filter(pk=txn.pk).exists()


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
