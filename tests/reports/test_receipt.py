"""Receipt codes, their keyed slow hash, the server secret and the reply key pair."""

from __future__ import annotations

import hashlib
import math
import re
import stat
from pathlib import Path

import pytest

from reports.crypto import open_sealed, seal
from reports.errors import BadReceipt, DecryptionFailed, KeyFileError
from reports.receipt import (
    ALPHABET,
    SCRYPT_SALT,
    ReceiptKeys,
    find_code,
    load_or_create_secret,
    new_code,
    normalize,
    open_reply_private,
    reply_keypair,
)

SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))
CODE = "7KQ2-M9XD-4HTV-Z0CB-1NRW"


def test_alphabet_is_crockford_base32() -> None:
    assert len(set(ALPHABET)) == 32 and not set("ILOU") & set(ALPHABET)


def test_new_codes_have_100_bits_in_five_groups_of_four() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}", code)
        canonical = normalize(code)
        assert canonical is not None and len(canonical) == 20
        assert len(canonical) * math.log2(len(ALPHABET)) >= 80
    # every symbol shows up across 4000 random ones: the choice really spans the alphabet
    assert set("".join(codes).replace("-", "")) == set(ALPHABET)


def test_normalize_forgives_what_phones_and_people_type() -> None:
    canonical = "7KQ2M9XD4HTVZ0CB1NRW"
    for typed in (
        CODE,
        CODE.lower(),
        " 7kq2 m9xd\t4htv z0cb 1nrw \n",
        "7KQ2M9XD4HTVZOCBINRW",  # O for 0, I for 1
        "7KQ2-M9XD-4HTV-ZoCB-lNRW",  # o and l
        "７ＫＱ２－Ｍ９ＸＤ－４ＨＴＶ－Ｚ０ＣＢ－１ＮＲＷ",  # full-width, as a Chinese keyboard may give
        "7KQ2—M9XD—4HTV—Z0CB—1NRW",  # the long dash of a Chinese input method
    ):
        assert normalize(typed) == canonical, typed


@pytest.mark.parametrize(
    "typed",
    [
        "",
        CODE[:-1],
        CODE + "7",
        "7KQ2-M9XD-4HTV-Z0CB-1NRU",
        "7KQ2-M9XD-4HTV-Z0CB-1NR*",
        "7KQ2M9XD4HTVZ0CB1NRW0",
    ],
)
def test_normalize_rejects_wrong_lengths_and_symbols(typed: str) -> None:
    assert normalize(typed) is None


def test_derive_is_deterministic_per_secret_and_separates_its_two_keys() -> None:
    keys = ReceiptKeys(SECRET)
    lookup, reply = keys.derive(CODE)
    assert len(lookup) == len(reply) == 32 and lookup != reply
    assert keys.derive(CODE.lower().replace("-", " ")) == (lookup, reply)
    assert ReceiptKeys(SECRET).derive(CODE) == (lookup, reply)
    other_lookup, other_reply = ReceiptKeys(OTHER_SECRET).derive(CODE)
    assert other_lookup != lookup and other_reply != reply
    assert keys.derive(new_code())[0] != lookup


def test_a_database_alone_cannot_confirm_a_guess() -> None:
    """The attacker has the stored lookup hash and even the right code, but not the server secret."""
    stored, _ = ReceiptKeys(SECRET).derive(CODE)
    guessed_secret, _ = ReceiptKeys(b"\0" * 32).derive(CODE)
    assert guessed_secret != stored
    # Nor does skipping the HMAC and stretching the bare code reproduce it.
    bare = hashlib.scrypt(b"7KQ2M9XD4HTVZ0CB1NRW", salt=SCRYPT_SALT, n=2**14, r=8, p=1, dklen=64)
    assert hashlib.blake2b(bare, key=b"lookup", digest_size=32).digest() != stored


def test_bad_codes_and_short_secrets_are_refused() -> None:
    with pytest.raises(BadReceipt):
        ReceiptKeys(SECRET).derive("1234")
    with pytest.raises(ValueError):
        ReceiptKeys(b"x" * 31)
    assert SECRET.hex() not in repr(ReceiptKeys(SECRET))


def test_reply_keypair_opens_only_with_the_right_code() -> None:
    _, reply_key = ReceiptKeys(SECRET).derive(CODE)
    public, sealed_private = reply_keypair(reply_key)
    envelope = seal("处理意见：已核实".encode(), [public])
    private = open_reply_private(reply_key, sealed_private)
    assert open_sealed(envelope, private) == "处理意见：已核实".encode()
    assert private not in sealed_private
    _, wrong_reply_key = ReceiptKeys(SECRET).derive(new_code())
    with pytest.raises(DecryptionFailed):
        open_reply_private(wrong_reply_key, sealed_private)


def test_server_secret_is_created_once_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "receipt.secret"
    secret = load_or_create_secret(path)
    assert len(secret) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text("ascii") == secret.hex() + "\n"
    assert load_or_create_secret(path) == secret
    assert [p.name for p in path.parent.iterdir()] == ["receipt.secret"]  # no temp file left behind
    assert load_or_create_secret(tmp_path / "other.secret") != secret


@pytest.mark.parametrize("content", [b"", b"zz" * 32, b"ab" * 31, b"\xff" * 40])
def test_a_malformed_secret_is_an_error_never_replaced(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "receipt.secret"
    path.write_bytes(content)
    with pytest.raises(KeyFileError):
        load_or_create_secret(path)
    assert path.read_bytes() == content


@pytest.mark.parametrize(
    "template",
    [
        "{code}",
        "我的回执码是 {code}，查询进度",
        "回执码：{lower}，帮我查一下",
        "{spaced}",
        "{plain}是我的码",
        "{fullwidth}",
    ],
)
def test_a_code_is_found_anywhere_in_a_message(template: str) -> None:
    code = new_code()
    canonical = code.replace("-", "")
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c != "-" else "－" for c in code)
    text = template.format(
        code=code, lower=code.lower(), spaced=code.replace("-", " "), plain=canonical, fullwidth=fullwidth
    )
    assert find_code(text) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "张三是我们科室的，他经常迟到早退",
        "ABCD-EFGH-JKMN-PQRS",  # four groups only
        "ABCD-EFGH-JKMN-PQRS-TVWXY",  # a longer run is not a code
        "订单号 20261202123456789012345",
        "",
    ],
)
def test_ordinary_text_holds_no_code(text: str) -> None:
    assert find_code(text) is None
