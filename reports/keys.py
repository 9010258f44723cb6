"""Reviewer key files: an X25519 private key under a passphrase (Argon2id + SecretBox), public keys as text.

The private key file is UTF-8 JSON::

    {"format": "qingfeng-reviewer-key", "version": 1, "kdf": "argon2id",
     "opslimit": 3, "memlimit": 268435456, "salt": "<b64>", "nonce": "<b64>", "ciphertext": "<b64>",
     "public_key": "<b64>", "fingerprint": "ab12-cd34-ef56-7890"}

``ciphertext`` is ``SecretBox(argon2id(passphrase, salt)).encrypt(private_key, nonce)`` without the nonce.
The KDF cost is libsodium's MODERATE level (3 passes over 256 MiB): about 0.3 s per unlock on a 2-core
server, paid once when a reviewer unlocks, and it makes each passphrase guess on a stolen file as costly.

A public key file ``<fingerprint>.pub`` holds the 32-byte key in standard base64 on one line.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import unicodedata
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.utils
from nacl.public import PrivateKey
from nacl.secret import SecretBox

from reports.crypto import KEY_BYTES, fingerprint, generate_keypair
from reports.errors import KeyFileError

FORMAT = "qingfeng-reviewer-key"
VERSION = 1
OPSLIMIT = argon2id.OPSLIMIT_MODERATE
MEMLIMIT = argon2id.MEMLIMIT_MODERATE
PASSPHRASE_MIN = 8
WRONG_PASSPHRASE = "wrong passphrase"
MALFORMED = "malformed key file"
MISSING = "missing key file"
_MAX_KEY_FILE = 64 * 1024  # a real key file is ~400 bytes; refuse to parse anything huge


def protect_private_key(private_key: bytes, passphrase: str) -> bytes:
    """The content of a key file holding ``private_key`` under ``passphrase`` (≥ 8 characters)."""
    if len(private_key) != KEY_BYTES:
        raise ValueError(f"private key must be {KEY_BYTES} bytes")
    secret = _passphrase_bytes(passphrase)
    if len(unicodedata.normalize("NFC", passphrase)) < PASSPHRASE_MIN:
        raise ValueError(f"passphrase must have at least {PASSPHRASE_MIN} characters")
    salt = nacl.utils.random(argon2id.SALTBYTES)
    nonce = nacl.utils.random(SecretBox.NONCE_SIZE)
    box_key = argon2id.kdf(SecretBox.KEY_SIZE, secret, salt, opslimit=OPSLIMIT, memlimit=MEMLIMIT)
    ciphertext = SecretBox(box_key).encrypt(private_key, nonce).ciphertext
    public_key = bytes(PrivateKey(private_key).public_key)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "kdf": "argon2id",
        "opslimit": OPSLIMIT,
        "memlimit": MEMLIMIT,
        "salt": _b64(salt),
        "nonce": _b64(nonce),
        "ciphertext": _b64(ciphertext),
        "public_key": _b64(public_key),
        "fingerprint": fingerprint(public_key),
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def unlock_private_key(data: bytes, passphrase: str) -> bytes:
    """The private key in key-file ``data``; ``KeyFileError`` on a wrong passphrase or a malformed file."""
    fields = _parse_key_file(data)
    try:
        box_key = argon2id.kdf(
            SecretBox.KEY_SIZE,
            _passphrase_bytes(passphrase, allow_empty=True),
            fields["salt"],
            opslimit=fields["opslimit"],
            memlimit=fields["memlimit"],
        )
        private_key = SecretBox(box_key).decrypt(fields["ciphertext"], fields["nonce"])
    except nacl.exceptions.CryptoError:
        raise KeyFileError(WRONG_PASSPHRASE) from None
    # The MAC proves the passphrase; the public key check catches a file whose fields were mixed up.
    if len(private_key) != KEY_BYTES or bytes(PrivateKey(private_key).public_key) != fields["public_key"]:
        raise KeyFileError(MALFORMED)
    return private_key


def write_key_files(private_path: Path, public_dir: Path, passphrase: str) -> tuple[Path, str]:
    """Create a reviewer key pair: the protected private key (0600) and ``public_dir/<fingerprint>.pub``."""
    if private_path.exists():  # fail before the slow KDF; O_EXCL below closes the race
        raise KeyFileError(f"key file exists: {private_path}")
    private_key, public_key = generate_keypair()
    content = protect_private_key(private_key, passphrase)
    fpr = fingerprint(public_key)
    public_path = public_dir / f"{fpr}.pub"
    private_path.parent.mkdir(parents=True, exist_ok=True)
    public_dir.mkdir(parents=True, exist_ok=True)
    _write_new(private_path, content, 0o600)
    try:
        # Written second: a public key without its private key would let reports go to nobody.
        _write_new(public_path, (_b64(public_key) + "\n").encode("ascii"), 0o644)
    except BaseException:
        private_path.unlink(missing_ok=True)
        raise
    return public_path, fpr


def load_public_keys(public_dir: Path) -> list[bytes]:
    """Every ``*.pub`` key in ``public_dir`` (sorted by file name); ``KeyFileError`` names a bad file."""
    if not public_dir.is_dir():
        return []
    keys = []
    for path in sorted(public_dir.glob("*.pub")):
        try:
            key = base64.b64decode(path.read_text("ascii").strip(), validate=True)
        except (OSError, UnicodeDecodeError, binascii.Error):
            raise KeyFileError(f"malformed public key file: {path.name}") from None
        if len(key) != KEY_BYTES:
            raise KeyFileError(f"malformed public key file: {path.name}")
        keys.append(key)
    return keys


def load_private_key(path: Path, passphrase: str) -> tuple[bytes, bytes]:
    """``(private_key, public_key)`` from a key file; ``KeyFileError`` if missing, malformed or locked."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(MISSING) from None
    except OSError:
        raise KeyFileError(MALFORMED) from None
    private_key = unlock_private_key(data, passphrase)
    return private_key, bytes(PrivateKey(private_key).public_key)


def _parse_key_file(data: bytes) -> dict[str, Any]:
    # Every field is checked before the KDF runs, so a crafted file cannot ask for gigabytes of memory.
    try:
        if len(data) > _MAX_KEY_FILE:
            raise ValueError
        doc = json.loads(data.decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
            raise ValueError
        if doc.get("kdf") != "argon2id":
            raise ValueError
        opslimit, memlimit = doc["opslimit"], doc["memlimit"]
        if type(opslimit) is not int or type(memlimit) is not int:  # not bool, not float
            raise ValueError
        if not argon2id.OPSLIMIT_MIN <= opslimit <= argon2id.OPSLIMIT_SENSITIVE:
            raise ValueError
        if not argon2id.MEMLIMIT_MIN <= memlimit <= argon2id.MEMLIMIT_SENSITIVE:
            raise ValueError
        fields = {
            "opslimit": opslimit,
            "memlimit": memlimit,
            "salt": _unb64(doc["salt"], argon2id.SALTBYTES),
            "nonce": _unb64(doc["nonce"], SecretBox.NONCE_SIZE),
            "ciphertext": _unb64(doc["ciphertext"], KEY_BYTES + SecretBox.MACBYTES),
            "public_key": _unb64(doc["public_key"], KEY_BYTES),
        }
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, binascii.Error):
        raise KeyFileError(MALFORMED) from None
    return fields


def _passphrase_bytes(passphrase: str, allow_empty: bool = False) -> bytes:
    # NFC, so a passphrase with Chinese or accented characters unlocks whatever keyboard typed it.
    if not isinstance(passphrase, str):
        raise TypeError("passphrase must be a str")
    if not passphrase and not allow_empty:
        raise ValueError("empty passphrase")
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _write_new(path: Path, content: bytes, mode: int) -> None:
    # O_EXCL: never overwrite, even if the file appeared since the check; fchmod: ignore a loose umask.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise KeyFileError(f"key file exists: {path}") from None
    try:
        os.fchmod(fd, mode)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)  # losing a reviewer key loses every report sealed to it
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    os.close(fd)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, size: int) -> bytes:
    if not isinstance(value, str):
        raise ValueError
    data = base64.b64decode(value, validate=True)
    if len(data) != size:
        raise ValueError
    return data
