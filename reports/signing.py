"""Reviewer actions signed with Ed25519, so that only a listed reviewer can answer a reporter or move a report.

Whoever can write to the database (an operator, a DBA, a process with the file) can seal a message to a
reporter's reply key, which is public, or set a status column. A signature over what was done, to which
report, of which kind and on which day, by a key in the reviewers folder, is what makes a reply or a status
count; without one the reporter is told that something failed the check, and it is not shown.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping

import nacl.exceptions
import nacl.utils
from nacl.signing import SigningKey, VerifyKey

SEED_BYTES = 32
SIGNATURE_BYTES = 64
# Domain separation: a signature made here can never be mistaken for one made for another purpose.
CONTEXT = b"qingfeng reviewer action v1\n"


def generate_signing_seed() -> bytes:
    """A fresh 32-byte Ed25519 seed."""
    return nacl.utils.random(SEED_BYTES)


def verify_key_of(seed: bytes) -> bytes:
    """The 32-byte Ed25519 public key of a seed."""
    return bytes(SigningKey(bytes(seed)).verify_key)


def statement(fields: Mapping[str, str]) -> bytes:
    """The exact bytes that are signed: the context line, then the fields as canonical JSON."""
    return (
        CONTEXT + json.dumps(dict(fields), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    )


def sign(seed: bytes, fields: Mapping[str, str]) -> bytes:
    """The 64-byte signature of ``fields`` with the key of ``seed``."""
    return bytes(SigningKey(bytes(seed)).sign(statement(fields)).signature)


def signed_by_one_of(
    fields: Mapping[str, str], verify_key: bytes, signature: bytes, known: Collection[bytes]
) -> bool:
    """True if ``verify_key`` is one of ``known`` and ``signature`` is its signature of ``fields``."""
    if len(verify_key) != SEED_BYTES or len(signature) != SIGNATURE_BYTES or bytes(verify_key) not in known:
        return False
    try:
        VerifyKey(bytes(verify_key)).verify(statement(fields), bytes(signature))
    except nacl.exceptions.BadSignatureError:
        return False
    return True


def proof(seed: bytes, fields: Mapping[str, str]) -> bytes:
    """Verify key and signature in one 96-byte value, for a column that records a signed fact."""
    return verify_key_of(seed) + sign(seed, fields)


def proven(fields: Mapping[str, str], value: bytes | None, known: Collection[bytes]) -> bool:
    """True if ``value`` (from ``proof``) is a known reviewer's signature of ``fields``."""
    if value is None or len(value) != SEED_BYTES + SIGNATURE_BYTES:
        return False
    value = bytes(value)
    return signed_by_one_of(fields, value[:SEED_BYTES], value[SEED_BYTES:], known)
