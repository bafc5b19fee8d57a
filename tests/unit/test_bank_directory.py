"""One directory of banks: every service admits the same banks and takes identities from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from services.credit.app import create_app as credit_app
from services.credit.service_layer.banks import load_config
from services.credit.settings import DEFAULT_BANKS, CreditSettings
from shared.banks import BankStatus, load_directory
from shared.http import STATUS_OF_KIND
from shared.kernel.errors import Forbidden, kind_of
from shared.settings import DEFAULT_BANK_DIRECTORY
from tests.credentials import bank_headers

HANGZHOU_USCC = "91330100609123456B"
QINGDAO_USCC = "913702007180012344"
WUHAN = """
  - bank_id: bank-wuhan
    legal_name: Wuhan Optics Valley Bank
    uscc: 91420100MA4KX3HT2G
    address: 1 Guanshan Avenue, Wuhan
    status: active
"""


def directory_text(extra: str = "") -> str:
    return DEFAULT_BANK_DIRECTORY.read_text(encoding="utf-8") + extra


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_directory_names_each_bank_once_with_its_uscc() -> None:
    directory = load_directory(DEFAULT_BANK_DIRECTORY)
    assert {bank_id: bank.uscc for bank_id, bank in directory.items()} == {
        "bank-hangzhou": HANGZHOU_USCC,
        "bank-qingdao": QINGDAO_USCC,
    }
    assert directory["bank-hangzhou"].legal_name == "Hangzhou Science and Technology Bank"
    assert directory["bank-qingdao"].status is BankStatus.ACTIVE


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda t: t + t.split("banks:\n", 1)[1], "twice"),
        (lambda t: t.replace(QINGDAO_USCC, HANGZHOU_USCC), "the same USCC"),
        (lambda t: t.replace(QINGDAO_USCC, "913702007180012345"), "check"),
        (lambda t: t.replace("status: active", "status: dormant", 1), "dormant"),
        (lambda t: t.replace("    address: 6 Hong Kong Middle Road, Qingdao\n", ""), "address"),
        (lambda t: t.replace("bank-qingdao", "Bank Qingdao"), "lower-case"),
        (lambda t: "banks: []\n", "no banks"),
    ],
)
def test_a_bad_directory_stops_every_service_at_start(
    tmp_path: Path, change: Any, reason: str
) -> None:
    path = write(tmp_path, "banks.yaml", change(directory_text()))
    with pytest.raises(ValueError, match=reason):
        load_directory(path)


def test_unknown_and_suspended_banks_are_refused_with_their_own_codes(tmp_path: Path) -> None:
    text = directory_text().replace("status: active", "status: suspended", 1)
    directory = load_directory(write(tmp_path, "banks.yaml", text))
    with pytest.raises(Forbidden) as unknown:
        directory.admit("bank-nowhere")
    with pytest.raises(Forbidden) as suspended:
        directory.admit("bank-hangzhou")
    assert (STATUS_OF_KIND[kind_of(unknown.value)], unknown.value.code) == (403, "bank.unknown")
    assert (STATUS_OF_KIND[kind_of(suspended.value)], suspended.value.code) == (
        403,
        "bank.suspended",
    )
    assert directory.admit("bank-qingdao").uscc == QINGDAO_USCC


def test_credit_takes_each_bank_s_identity_from_the_directory(tmp_path: Path) -> None:
    text = directory_text().replace(
        "legal_name: Qingdao Innovation Bank", "legal_name: Qingdao Innovation Bank Co., Ltd."
    )
    directory = load_directory(write(tmp_path, "banks.yaml", text))
    qingdao = load_config(DEFAULT_BANKS, directory).banks["bank-qingdao"]
    assert (qingdao.name, qingdao.uscc, qingdao.address) == (
        "Qingdao Innovation Bank Co., Ltd.",
        QINGDAO_USCC,
        "6 Hong Kong Middle Road, Qingdao",
    )


def lending_terms(tmp_path: Path, extra: str) -> Path:
    text = DEFAULT_BANKS.read_text(encoding="utf-8").replace(
        "  - bank_id: bank-qingdao\n", f"  - bank_id: bank-qingdao\n{extra}"
    )
    return write(tmp_path, "lending.yaml", text)


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ('    uscc: "913702007180012344"\n    name: Qingdao Innovation Bank\n', None),
        ("    uscc: 91330100609123456B\n", "USCC"),
        ("    name: Qingdao Commercial Bank\n", "named"),
    ],
)
def test_credit_refuses_to_start_when_its_banks_disagree_with_the_directory(
    tmp_path: Path, extra: str, reason: str | None
) -> None:
    settings = CreditSettings(
        database_url="sqlite+aiosqlite://",
        kafka_bootstrap_servers="memory://",
        banks_file=lending_terms(tmp_path, extra),
    )
    if reason is None:
        assert credit_app(settings).state.banks["bank-qingdao"].uscc == QINGDAO_USCC
        return
    with pytest.raises(ValueError, match=reason):
        credit_app(settings)


def test_credit_refuses_to_start_with_terms_for_a_bank_the_directory_does_not_list(
    tmp_path: Path,
) -> None:
    text = directory_text().split("  - bank_id: bank-qingdao")[0]
    settings = CreditSettings(
        database_url="sqlite+aiosqlite://",
        kafka_bootstrap_servers="memory://",
        bank_directory_file=write(tmp_path, "banks.yaml", text),
    )
    with pytest.raises(ValueError, match="bank-qingdao has lending terms but is not in"):
        credit_app(settings)


async def test_a_listed_bank_without_lending_terms_cannot_borrow(tmp_path: Path) -> None:
    settings = CreditSettings(
        database_url="sqlite+aiosqlite://",
        kafka_bootstrap_servers="memory://",
        bank_directory_file=write(tmp_path, "banks.yaml", directory_text(WUHAN)),
    )
    transport = httpx.ASGITransport(app=credit_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://credit") as client:
        response = await client.get("/v1/loans", headers=bank_headers("bank-wuhan"))
    assert (response.status_code, response.json()["code"]) == (403, "bank.no_lending_terms")
