"""Reviewer key files: an X25519 box key and an Ed25519 signing key under a passphrase, public keys as text.

The private key file is UTF-8 JSON::

    {"format": "qingfeng-reviewer-key", "version": 2, "kdf": "argon2id",
     "opslimit": 3, "memlimit": 268435456, "salt": "<b64>", "nonce": "<b64>", "ciphertext": "<b64>",
     "public_key": "<b64>", "verify_key": "<b64>", "fingerprint": "ab12-cd34-ef56-7890"}

``ciphertext`` is ``SecretBox(argon2id(passphrase, salt)).encrypt(box_private ‖ signing_seed, nonce)``
without the nonce. Version 1 files hold the box key alone: they still open reports, but a reviewer must
add a signing key (``upgrade_key_file``) before replying or changing anything. The KDF cost is libsodium's
MODERATE level (3 passes over 256 MiB): about 0.3 s per unlock on a 2-core server, paid once when a reviewer
unlocks, and it makes each passphrase guess on a stolen file as costly.

A public key file ``<fingerprint>.pub`` holds the 32-byte box key in standard base64 on its first line and
the 32-byte Ed25519 verify key on the second (version 1 files have only the first). The folder of these
files is the list of reviewers: reports are sealed to its box keys, and reviewer actions count only when
signed by one of its verify keys (or by a key moved to ``retired/``, which signs no more but whose earlier
replies stay valid).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.utils
from nacl.public import PrivateKey
from nacl.secret import SecretBox

from reports.crypto import KEY_BYTES, fingerprint, generate_keypair
from reports.errors import KeyFileError, KeyProblem
from reports.signing import generate_signing_seed, verify_key_of

FORMAT = "qingfeng-reviewer-key"
VERSION = 2
VERSIONS = (1, 2)
RETIRED = "retired"  # reviewers/retired/*.pub: no new reports sealed to them, earlier signatures still valid
OPSLIMIT = argon2id.OPSLIMIT_MODERATE
MEMLIMIT = argon2id.MEMLIMIT_MODERATE
PASSPHRASE_MIN = 8
WRONG_PASSPHRASE = KeyProblem.WRONG_PASSPHRASE
MALFORMED = KeyProblem.MALFORMED
MISSING = KeyProblem.MISSING
_MAX_KEY_FILE = 64 * 1024  # a real key file is ~400 bytes; refuse to parse anything huge


@dataclass(frozen=True)
class ReviewerKey:
    """An unlocked reviewer key: the box key pair that opens reports and the seed that signs actions."""

    private_key: bytes
    public_key: bytes
    signing_seed: bytes | None  # None: a version-1 key file, which can read but not act

    @property
    def verify_key(self) -> bytes | None:
        """The Ed25519 public key matching ``signing_seed``."""
        return verify_key_of(self.signing_seed) if self.signing_seed is not None else None

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the box public key: the reviewer's name in the audit log and in file names."""
        return fingerprint(self.public_key)


@dataclass(frozen=True)
class ReviewerPublicKey:
    """One reviewer as listed in the reviewers folder."""

    public_key: bytes
    verify_key: bytes | None  # None: a version-1 .pub file
    retired: bool = False  # in reviewers/retired/: nothing new is sealed to it, and it may not act

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the box public key."""
        return fingerprint(self.public_key)


def protect_private_key(private_key: bytes, passphrase: str, signing_seed: bytes | None = None) -> bytes:
    """The content of a key file holding ``private_key`` (and a signing seed) under ``passphrase`` (≥ 8 characters).

    Without ``signing_seed`` a new one is drawn: every key file written from now on can sign.
    """
    if len(private_key) != KEY_BYTES:
        raise ValueError(f"private key must be {KEY_BYTES} bytes")
    signing_seed = generate_signing_seed() if signing_seed is None else signing_seed
    if len(signing_seed) != KEY_BYTES:
        raise ValueError(f"signing seed must be {KEY_BYTES} bytes")
    secret = _passphrase_bytes(passphrase)
    if len(unicodedata.normalize("NFC", passphrase)) < PASSPHRASE_MIN:
        raise ValueError(f"passphrase must have at least {PASSPHRASE_MIN} characters")
    salt = nacl.utils.random(argon2id.SALTBYTES)
    nonce = nacl.utils.random(SecretBox.NONCE_SIZE)
    box_key = argon2id.kdf(SecretBox.KEY_SIZE, secret, salt, opslimit=OPSLIMIT, memlimit=MEMLIMIT)
    ciphertext = SecretBox(box_key).encrypt(private_key + signing_seed, nonce).ciphertext
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
        "verify_key": _b64(verify_key_of(signing_seed)),
        "fingerprint": fingerprint(public_key),
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def unlock_private_key(data: bytes, passphrase: str) -> bytes:
    """The box private key in key-file ``data``; ``KeyFileError`` on a wrong passphrase or a malformed file."""
    return unlock_reviewer_key(data, passphrase).private_key


def unlock_reviewer_key(data: bytes, passphrase: str) -> ReviewerKey:
    """Both keys in key-file ``data``; ``KeyFileError`` on a wrong passphrase or a malformed file."""
    fields = _parse_key_file(data)
    try:
        box_key = argon2id.kdf(
            SecretBox.KEY_SIZE,
            _passphrase_bytes(passphrase, allow_empty=True),
            fields["salt"],
            opslimit=fields["opslimit"],
            memlimit=fields["memlimit"],
        )
        secret = SecretBox(box_key).decrypt(fields["ciphertext"], fields["nonce"])
    except nacl.exceptions.CryptoError:
        raise KeyFileError(KeyProblem.WRONG_PASSPHRASE) from None
    private_key, signing_seed = secret[:KEY_BYTES], secret[KEY_BYTES:] or None
    # The MAC proves the passphrase; the public key checks catch a file whose fields were mixed up.
    if bytes(PrivateKey(private_key).public_key) != fields["public_key"]:
        raise KeyFileError(KeyProblem.MALFORMED)
    if signing_seed is not None and verify_key_of(signing_seed) != fields["verify_key"]:
        raise KeyFileError(KeyProblem.MALFORMED)
    return ReviewerKey(private_key, fields["public_key"], signing_seed)


def write_key_files(private_path: Path, public_dir: Path, passphrase: str) -> tuple[Path, str]:
    """Create a reviewer key pair: the protected private key (0600) and ``public_dir/<fingerprint>.pub``."""
    if private_path.exists():  # fail before the slow KDF; O_EXCL below closes the race
        raise KeyFileError(KeyProblem.EXISTS, private_path)
    private_key, public_key = generate_keypair()
    signing_seed = generate_signing_seed()
    content = protect_private_key(private_key, passphrase, signing_seed)
    fpr = fingerprint(public_key)
    public_path = public_dir / f"{fpr}.pub"
    private_path.parent.mkdir(parents=True, exist_ok=True)
    public_dir.mkdir(parents=True, exist_ok=True)
    _write_new(private_path, content, 0o600)
    try:
        # Written second: a public key without its private key would let reports go to nobody.
        _write_new(public_path, _public_file(public_key, verify_key_of(signing_seed)), 0o644)
    except BaseException:
        private_path.unlink(missing_ok=True)
        raise
    return public_path, fpr


def upgrade_key_file(private_path: Path, public_dir: Path, passphrase: str) -> tuple[Path, str, bool]:
    """Give a version-1 key file a signing key, and its .pub file the verify key; (.pub path, fingerprint, changed).

    The key file is replaced atomically (a new file renamed over it), so a crash leaves the old or the new.
    """
    key = load_reviewer_key(private_path, passphrase)
    public_path = public_dir / f"{key.fingerprint}.pub"
    if key.signing_seed is not None:
        return public_path, key.fingerprint, False
    seed = generate_signing_seed()
    _replace(private_path, protect_private_key(key.private_key, passphrase, seed), 0o600)
    public_dir.mkdir(parents=True, exist_ok=True)
    _replace(public_path, _public_file(key.public_key, verify_key_of(seed)), 0o644)
    return public_path, key.fingerprint, True


def _replace(path: Path, content: bytes, mode: int) -> None:
    # Written beside the target and renamed over it: a crash leaves the old file or the new, never half of one.
    temporary = path.with_name(path.name + ".new")
    temporary.unlink(missing_ok=True)
    _write_new(temporary, content, mode)
    os.replace(temporary, path)


def load_reviewers(public_dir: Path, retired: bool = False) -> list[ReviewerPublicKey]:
    """The reviewers listed in ``public_dir`` (sorted by file name), and with ``retired`` those in ``retired/``."""
    folders = [(public_dir, False), (public_dir / RETIRED, True)] if retired else [(public_dir, False)]
    found: list[ReviewerPublicKey] = []
    for folder, is_retired in folders:
        if folder.is_dir():
            found.extend(_read_public_file(path, is_retired) for path in sorted(folder.glob("*.pub")))
    return found


def load_public_keys(public_dir: Path) -> list[bytes]:
    """Every current reviewer's box key in ``public_dir`` (sorted by file name); ``KeyFileError`` names a bad file."""
    return [reviewer.public_key for reviewer in load_reviewers(public_dir)]


def _public_file(public_key: bytes, verify_key: bytes) -> bytes:
    return (_b64(public_key) + "\n" + _b64(verify_key) + "\n").encode("ascii")


def _read_public_file(path: Path, retired: bool = False) -> ReviewerPublicKey:
    try:
        lines = path.read_text("ascii").split()
        if not 1 <= len(lines) <= 2:
            raise ValueError
        keys = [base64.b64decode(line, validate=True) for line in lines]
        if any(len(key) != KEY_BYTES for key in keys):
            raise ValueError
    except (OSError, UnicodeDecodeError, ValueError, binascii.Error):
        raise KeyFileError(KeyProblem.BAD_PUBLIC_KEY, path.name) from None
    return ReviewerPublicKey(keys[0], keys[1] if len(keys) == 2 else None, retired)


def load_reviewer_key(path: Path, passphrase: str) -> ReviewerKey:
    """The unlocked key in a key file; ``KeyFileError`` if missing, malformed or locked."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(KeyProblem.MISSING) from None
    except OSError:
        raise KeyFileError(KeyProblem.MALFORMED) from None
    return unlock_reviewer_key(data, passphrase)


def load_private_key(path: Path, passphrase: str) -> tuple[bytes, bytes]:
    """``(private_key, public_key)`` of the box key in a key file; ``KeyFileError`` if missing, malformed or locked."""
    key = load_reviewer_key(path, passphrase)
    return key.private_key, key.public_key


def _parse_key_file(data: bytes) -> dict[str, Any]:
    # Every field is checked before the KDF runs, so a crafted file cannot ask for gigabytes of memory.
    try:
        if len(data) > _MAX_KEY_FILE:
            raise ValueError
        doc = json.loads(data.decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") not in VERSIONS:
            raise ValueError
        version = doc["version"]
        if type(version) is not int:  # not True, which equals 1
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
            "ciphertext": _unb64(doc["ciphertext"], KEY_BYTES * version + SecretBox.MACBYTES),
            "public_key": _unb64(doc["public_key"], KEY_BYTES),
            "verify_key": _unb64(doc["verify_key"], KEY_BYTES) if version == 2 else None,
        }
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, binascii.Error):
        raise KeyFileError(KeyProblem.MALFORMED) from None
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
        raise KeyFileError(KeyProblem.EXISTS, path) from None
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
