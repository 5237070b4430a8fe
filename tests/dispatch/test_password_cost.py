"""scrypt's cost for new password hashes (``TANDEM_SCRYPT_N``): the default is 2**14, a hash made
under one cost keeps verifying under another (each carries its own), and a wrong value is refused
with a reason, at the server's start too. The rest of the suite hashes at 2**10 (tests/conftest.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import Settings
from dispatch.store.repository import hash_secret, scrypt_n, verify_secret


def test_the_default_cost_is_two_to_the_fourteenth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TANDEM_SCRYPT_N", raising=False)
    assert scrypt_n() == 2**14
    stored = hash_secret("correct horse")
    assert stored.startswith("scrypt$16384$8$1$")
    assert verify_secret("correct horse", stored) and not verify_secret("correct hors", stored)
    assert Settings().scrypt_n == 2**14


def test_a_hash_made_under_one_cost_verifies_under_another(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_SCRYPT_N", "1024")
    cheap = hash_secret("battery staple")
    assert cheap.startswith("scrypt$1024$")
    monkeypatch.setenv("TANDEM_SCRYPT_N", "16384")
    dear = hash_secret("battery staple")
    assert dear.startswith("scrypt$16384$")
    assert verify_secret("battery staple", cheap) and verify_secret("battery staple", dear)
    assert not verify_secret("battery stapler", cheap)


@pytest.mark.parametrize("wrong", ["1000", "512", "2097152", "-1024", "lots", "1e4"])
def test_a_wrong_cost_is_refused_with_a_reason(monkeypatch: pytest.MonkeyPatch, wrong: str) -> None:
    monkeypatch.setenv("TANDEM_SCRYPT_N", wrong)
    with pytest.raises(ValueError, match="power of two from 1024 to 1048576"):
        hash_secret("anything")
    with pytest.raises(ValidationError, match="scrypt_n"):
        Settings()
