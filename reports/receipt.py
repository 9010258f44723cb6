"""Receipt codes: the reporter's only handle on their report, shown once and never stored.

A code is 20 Crockford base32 symbols (100 bits from ``secrets``), typed as ``7KQ2-M9XD-4HTV-Z0CB-1NRW``.
The store keeps ``lookup_hash`` only; ``reply_key`` unlocks the report's reply key pair. Both come from

    h = HMAC-SHA256(server_secret, canonical code)
    s = scrypt(h, salt="qingfeng-receipt-v1", N=2**14, r=8, p=1, 64 bytes)
    lookup_hash = BLAKE2b(s, key="lookup"), reply_key = BLAKE2b(s, key="reply-key")

The server secret lives in a file outside the database, so a copy of the database alone cannot test a guess
(and 100 bits could not be guessed anyway); with the secret, every guess still costs one scrypt.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import tempfile
import unicodedata
from pathlib import Path

from reports.crypto import generate_keypair, open_secret_box, secret_box
from reports.errors import BadReceipt, DecryptionFailed, KeyFileError, KeyProblem

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_SYMBOLS = 20  # 20 × log2(32) = 100 bits
GROUP = 4
SECRET_BYTES = 32
SCRYPT_SALT = b"qingfeng-receipt-v1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # 16 MiB; measured ~24 ms per derive on a 2-core server

# Look-alikes a person may type from a phone: Crockford reads O as 0 and I/L as 1.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Separators to ignore besides whitespace; Chinese input methods often produce a full-width or long dash.
_DASHES = frozenset("-‐‑‒–—―−_")


def new_code() -> str:
    """A fresh receipt code, 20 random symbols in five groups of four joined by ``-``."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_SYMBOLS))
    return format_code(code)


def format_code(canonical: str) -> str:
    """``canonical`` (20 symbols) in groups of four, as shown to the reporter."""
    return "-".join(canonical[i : i + GROUP] for i in range(0, len(canonical), GROUP))


def normalize(text: str) -> str | None:
    """The canonical 20-symbol form of a typed code (no dashes), or ``None`` if it cannot be one."""
    # NFKC turns full-width letters, digits and hyphens (common on Chinese phones) into ASCII.
    folded = unicodedata.normalize("NFKC", text).upper()
    kept = "".join(ch for ch in folded if not ch.isspace() and ch not in _DASHES)
    canonical = kept.translate(_LOOKALIKES)
    if len(canonical) != CODE_SYMBOLS or any(ch not in ALPHABET for ch in canonical):
        return None
    return canonical


# Whitespace and the dashes ``normalize`` ignores, so both accept the same ways of writing a code.
_SEPARATORS = rf"[\s{re.escape(''.join(sorted(_DASHES)))}]*"
# Five groups of four symbols with optional separators, not inside a longer run of letters and digits.
_CODE_IN_TEXT = re.compile(rf"(?<![0-9A-Z])([0-9A-Z]{{4}}(?:{_SEPARATORS}[0-9A-Z]{{4}}){{4}})(?![0-9A-Z])")


def find_code(text: str) -> str | None:
    """The canonical form of a receipt code written anywhere in ``text`` (inside a sentence too), or ``None``."""
    folded = unicodedata.normalize("NFKC", text or "").upper()
    for match in _CODE_IN_TEXT.finditer(folded):
        canonical = normalize(match.group(1))
        if canonical is not None:
            return canonical
    return None


class ReceiptKeys:
    """Derives a receipt code's lookup hash and reply key under the server secret."""

    def __init__(self, server_secret: bytes) -> None:
        if not isinstance(server_secret, bytes) or len(server_secret) < SECRET_BYTES:
            raise ValueError(f"server secret must be at least {SECRET_BYTES} bytes")
        self._secret = server_secret

    def __repr__(self) -> str:
        return "ReceiptKeys(<secret>)"  # never print the secret in a log or traceback

    def derive(self, code: str) -> tuple[bytes, bytes]:
        """``(lookup_hash, reply_key)``, 32 bytes each; one scrypt (~24 ms, 16 MiB). ``BadReceipt`` if malformed."""
        canonical = normalize(code)
        if canonical is None:
            raise BadReceipt("malformed receipt code")
        keyed = hmac.new(self._secret, canonical.encode("ascii"), hashlib.sha256).digest()
        stretched = hashlib.scrypt(keyed, salt=SCRYPT_SALT, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=64)
        lookup_hash = hashlib.blake2b(stretched, key=b"lookup", digest_size=32).digest()
        reply_key = hashlib.blake2b(stretched, key=b"reply-key", digest_size=32).digest()
        return lookup_hash, reply_key


def load_or_create_secret(path: Path) -> bytes:
    """The server secret in ``path`` (hex text, ≥ 32 bytes), created with mode 0600 if the file is missing."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (secrets.token_bytes(SECRET_BYTES).hex() + "\n").encode("ascii")
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # link() never replaces: if another process created the secret meanwhile, both use that one.
        # Replacing it would silently invalidate every receipt made under the first.
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links: create the file itself, exclusively
            _write_exclusive(path, text)
    finally:
        tmp.unlink(missing_ok=True)
    return _read_secret(path)


def reply_keypair(reply_key: bytes) -> tuple[bytes, bytes]:
    """A fresh ``(public_key, sealed_private)`` for a report; only the receipt's ``reply_key`` opens it."""
    private_key, public_key = generate_keypair()
    return public_key, secret_box(reply_key, private_key)


def open_reply_private(reply_key: bytes, sealed_private: bytes) -> bytes:
    """The report's reply private key; ``DecryptionFailed`` if ``reply_key`` is not the one it was sealed with."""
    private_key = open_secret_box(reply_key, sealed_private)
    if len(private_key) != 32:
        raise DecryptionFailed("not a private key")
    return private_key


def _write_exclusive(path: Path, content: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _read_secret(path: Path) -> bytes:
    # A malformed secret is an error, never a reason to make a new one: that would orphan every report.
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError:
        raise KeyFileError(KeyProblem.BAD_SECRET, path) from None
    try:
        secret = bytes.fromhex(data.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise KeyFileError(KeyProblem.BAD_SECRET, path) from None
    if len(secret) < SECRET_BYTES:
        raise KeyFileError(KeyProblem.BAD_SECRET, path)
    return secret
