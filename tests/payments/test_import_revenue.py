import pytest
from django.core.management import CommandError, call_command

from payments.models import RevenueEvent
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for

pytestmark = pytest.mark.django_db
HEADER = "external_id,work_id,amount,currency,occurred_at\n"


def _work():
    creator = UserFactory()
    return WorkFactory(
        creator=creator,
        grants=[grant_for(CharacterFactory(), creator, rev_share_bps=1_000, commercial_use=True)],
    )


def test_a_bad_row_rejects_the_whole_file_with_row_numbers(tmp_path, capsys):
    work = _work()
    path = tmp_path / "ads.csv"
    path.write_text(
        HEADER
        + f"ad-1,{work.pk},1000,USD,2026-11-01\n"
        + f"ad-2,{work.pk},-5,USD,2026-11-01\n"
        + "ad-3,not-a-work,100,USD,2026-11-01\n"
        + f"ad-1,{work.pk},1000,USD,2026-11-01\n"
        + f"ad-5,{work.pk},100,ZZZ,2026-11-01\n"
    )

    with pytest.raises(CommandError, match="Nothing imported: 4 bad row"):
        call_command("import_revenue", str(path))

    err = capsys.readouterr().err
    assert "row 3: amount '-5'" in err
    assert "row 4: work_id 'not-a-work'" in err
    assert "row 5: external_id 'ad-1' appears twice" in err
    assert "row 6:" in err
    assert not RevenueEvent.objects.exists()


def test_a_good_file_imports_and_settles_and_a_reimport_changes_nothing(tmp_path, capsys):
    work = _work()
    path = tmp_path / "ads.csv"
    path.write_text(
        HEADER
        + f"ad-1,{work.pk},1000,USD,2026-11-01\nad-2,{work.pk},500,USD,2026-11-02T10:00:00+00:00\n"
    )

    call_command("import_revenue", str(path))
    call_command("import_revenue", str(path))

    out = capsys.readouterr().out
    assert "2 imported, 0 already imported" in out
    assert "0 imported, 2 already imported" in out
    events = RevenueEvent.objects.filter(kind="ad_revenue")
    assert events.count() == 2
    assert all(e.status == "settled" and e.transaction_id for e in events)


def test_missing_columns_are_reported(tmp_path):
    path = tmp_path / "ads.csv"
    path.write_text("id,amount\n1,2\n")

    with pytest.raises(CommandError):
        call_command("import_revenue", str(path))


@pytest.mark.parametrize("amount", [str(2**63), str(10**12 + 1), "9" * 40, "²", "0", "1e3", "١٠٠"])
def test_an_amount_the_ledger_cannot_hold_is_a_bad_row_not_a_crash(tmp_path, capsys, amount):
    work = _work()
    path = tmp_path / "ads.csv"
    path.write_text(HEADER + f"ad-1,{work.pk},{amount},USD,2026-11-01\n")

    with pytest.raises(CommandError, match="Nothing imported: 1 bad row"):
        call_command("import_revenue", str(path))

    assert "must be a whole number of minor units from 1 to 1,000,000,000,000" in (
        capsys.readouterr().err
    )
    assert not RevenueEvent.objects.exists()


def test_the_largest_amount_a_line_may_carry_is_imported(tmp_path):
    work = _work()
    path = tmp_path / "ads.csv"
    path.write_text(HEADER + f"ad-1,{work.pk},{10**12},USD,2026-11-01\n")

    call_command("import_revenue", str(path))

    assert RevenueEvent.objects.get().amount == 10**12
