"""Envelopes that only the reviewers can open: libsodium sealed boxes (PyNaCl) around a per-message data key.

Envelope format, version 1 (all integers unsigned, big-endian)::

    version    1 byte   = 1
    count      1 byte   number of recipient slots, 1..255
    slots      count × 80 bytes: SealedBox(recipient).encrypt(data_key)   (32-byte ephemeral key + 48)
    body       SecretBox(box_key).encrypt(plaintext)                     (24-byte nonce + 16-byte MAC + n)

``box_key = blake2b(version ‖ count ‖ slots, key=data_key)``, so the body authenticates the whole header:
flipping, dropping or adding a slot makes the envelope fail for everybody rather than silently changing who
can read it.

Recipient public keys and fingerprints are deliberately *not* written in clear: a sealed box does not reveal
its recipient, so the stored envelope does not tell who is able to read a report. A reviewer therefore tries
every slot (one X25519 operation each, microseconds).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import nacl.bindings
import nacl.exceptions
import nacl.utils
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox

from reports.errors import DecryptionFailed

VERSION = 1
KEY_BYTES = 32
SLOT_BYTES = KEY_BYTES + nacl.bindings.crypto_box_SEALBYTES  # 32 + (32-byte ephemeral key + 16-byte MAC)
MAX_RECIPIENTS = 255
_HEADER_BYTES = 2
_BODY_MIN = SecretBox.NONCE_SIZE + SecretBox.MACBYTES


def generate_keypair() -> tuple[bytes, bytes]:
    """A fresh X25519 key pair as ``(private_key, public_key)``, 32 bytes each."""
    private = PrivateKey.generate()
    return bytes(private), bytes(private.public_key)


def fingerprint(public_key: bytes) -> str:
    """A short fingerprint to compare by eye, e.g. ``ab12-cd34-ef56-7890`` (64 bits of BLAKE2b)."""
    _check_key(public_key, "public key")
    digest = hashlib.blake2b(public_key, digest_size=8).hexdigest()
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def seal(plaintext: bytes, recipients: Sequence[bytes]) -> bytes:
    """Encrypt ``plaintext`` once so that any of the ``recipients`` (X25519 public keys) can open it."""
    unique = list(dict.fromkeys(bytes(r) for r in recipients))  # a key listed twice needs one slot
    if not unique:
        raise ValueError("no recipients")
    if len(unique) > MAX_RECIPIENTS:
        raise ValueError(f"at most {MAX_RECIPIENTS} recipients")
    for key in unique:
        _check_key(key, "public key")
    data_key = nacl.utils.random(KEY_BYTES)
    slots = b"".join(SealedBox(PublicKey(key)).encrypt(data_key) for key in unique)
    header = bytes([VERSION, len(unique)]) + slots
    body = SecretBox(_box_key(data_key, header)).encrypt(plaintext)
    return header + bytes(body)


def open_sealed(envelope: bytes, private_key: bytes) -> bytes:
    """The plaintext of ``envelope``; ``DecryptionFailed`` if this key is not a recipient or data is damaged."""
    _check_key(private_key, "private key")
    envelope = bytes(envelope)  # a database driver may hand back a memoryview
    if len(envelope) < _HEADER_BYTES or envelope[0] != VERSION:
        raise DecryptionFailed("not a version-1 envelope")
    count = envelope[1]
    header_end = _HEADER_BYTES + count * SLOT_BYTES
    if count == 0 or len(envelope) < header_end + _BODY_MIN:
        raise DecryptionFailed("truncated envelope")
    header, body = envelope[:header_end], envelope[header_end:]
    opener = SealedBox(PrivateKey(bytes(private_key)))
    for i in range(count):
        slot = header[_HEADER_BYTES + i * SLOT_BYTES : _HEADER_BYTES + (i + 1) * SLOT_BYTES]
        try:
            data_key = opener.decrypt(slot)
        except nacl.exceptions.CryptoError:
            continue  # another reviewer's slot
        if len(data_key) != KEY_BYTES:
            continue
        try:
            return SecretBox(_box_key(data_key, header)).decrypt(body)
        except nacl.exceptions.CryptoError:
            # Anyone holding our public key can forge a slot that opens; only the real data key opens the
            # body, so keep trying the remaining slots.
            continue
    raise DecryptionFailed("this key cannot open the envelope")


def seal_json(obj: Mapping[str, Any], recipients: Sequence[bytes]) -> bytes:
    """``seal`` the UTF-8 JSON of ``obj``."""
    text = json.dumps(dict(obj), ensure_ascii=False, separators=(",", ":"))
    return seal(text.encode("utf-8"), recipients)


def open_json(envelope: bytes, private_key: bytes) -> dict[str, Any]:
    """Open an envelope made by ``seal_json``; ``DecryptionFailed`` if it does not hold a JSON object."""
    plaintext = open_sealed(envelope, private_key)
    try:
        obj = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DecryptionFailed("not JSON") from None
    if not isinstance(obj, dict):
        raise DecryptionFailed("not a JSON object")
    return obj


def secret_box(key: bytes, plaintext: bytes) -> bytes:
    """Encrypt with a 32-byte symmetric key (XSalsa20-Poly1305, random nonce prepended)."""
    _check_key(key, "secret key")
    return bytes(SecretBox(bytes(key)).encrypt(plaintext))


def open_secret_box(key: bytes, data: bytes) -> bytes:
    """Decrypt ``secret_box`` output; ``DecryptionFailed`` on a wrong key or damaged data."""
    _check_key(key, "secret key")
    if len(data) < _BODY_MIN:
        raise DecryptionFailed("truncated")
    try:
        return SecretBox(bytes(key)).decrypt(bytes(data))
    except nacl.exceptions.CryptoError:
        raise DecryptionFailed("wrong key or damaged data") from None


def _box_key(data_key: bytes, header: bytes) -> bytes:
    # Keyed by the secret data key, so only a recipient can compute it; covering the header binds the slots.
    return hashlib.blake2b(header, key=data_key, digest_size=KEY_BYTES).digest()


def _check_key(key: bytes, what: str) -> None:
    # A key of the wrong size is a programming error, not a failed decryption: say so loudly.
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
        raise ValueError(f"{what} must be {KEY_BYTES} bytes")
