"""`corridor swap submit-file` and `corridor swap accept ID...`: a bank's CSV instruction file sent
as one request against a running bridge, accepted in one request by the counterparty."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from apps.cli import cli

pytestmark = pytest.mark.integration


def _swap(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["swap", *args[:1], "--url", url, *args[1:]])
    return result.exit_code, result.output


def test_a_csv_file_is_proposed_in_one_request_and_accepted_in_another(bridge_url: str, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("CORRIDOR_BANK_STORE", str(tmp_path / "banks"))
    file = tmp_path / "payments.csv"
    file.write_text("to,sell,amount,buy\nharbour,CNY,1000.00,HKD\nharbour,CNY,2500.50,HKD\nchaophraya,cny,300.00,THB\n")
    code, output = _swap(bridge_url, "submit-file", "--as", "yangtze", str(file))
    assert code == 0, output
    ids = re.findall(r"swap (0x[0-9a-f]{64}) proposed", output)
    assert len(ids) == 3
    # every order signed is in the bank's own store (0600), the linked-ledger one with its secret
    kept = {path.stem: json.loads(path.read_text()) for path in (tmp_path / "banks" / "yangtze" / "swaps").iterdir()}
    assert set(kept) == set(ids)
    assert [swap_id for swap_id, record in kept.items() if record.get("secret")] == [ids[2]]
    assert {(tmp_path / "banks" / "yangtze" / "swaps" / f"{i}.json").stat().st_mode & 0o777 for i in ids} == {0o600}

    code, output = _swap(bridge_url, "accept", "--as", "harbour", ids[0], ids[1])
    assert code == 0, output
    assert re.findall(r"swap (0x[0-9a-f]{64}) accepted", output) == ids[:2]


@pytest.mark.parametrize(("rows", "message"), [
    ("harbour,CNY,1000.00,XYZ\n", "line 2"),          # unknown currency, caught before anything is sent
    ("nobody,CNY,1000.00,HKD\n", "line 2"),           # unknown counterparty
    ("harbour,CNY,ten,HKD\n", "line 2"),              # not an amount
    ("harbour,CNY,1.00,HKD\nharbour,CNY,99999999999999.00,HKD\n", "swaps.1.terms.amountA"),  # the bridge refuses the file
])  # fmt: skip
def test_a_bad_file_is_refused_naming_the_line_or_field(bridge_url: str, tmp_path: Path, rows: str, message: str) -> None:
    file = tmp_path / "payments.csv"
    file.write_text("to,sell,amount,buy\n" + rows)
    code, output = _swap(bridge_url, "submit-file", "--as", "yangtze", str(file))
    assert code == 2 and message in output, output
