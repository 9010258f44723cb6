"""Reviewer key files: passphrase protection, permissions, public keys on disk."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from reports.crypto import fingerprint, generate_keypair, open_sealed, seal
from reports.errors import KeyFileError, KeyProblem
from reports.keys import (
    ReviewerPublicKey,
    load_private_key,
    load_public_keys,
    load_reviewer_key,
    load_reviewers,
    protect_private_key,
    unlock_private_key,
    write_key_files,
)

PASSPHRASE = "清风正气 correct horse"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, str]:
    """One reviewer key pair for the whole module: each Argon2id run costs ~0.3 s."""
    root = tmp_path_factory.mktemp("keys")
    private_path, public_dir = root / "secret" / "reviewer.key", root / "public"
    public_path, fpr = write_key_files(private_path, public_dir, PASSPHRASE)
    return private_path, public_dir, public_path, fpr


def test_written_files_have_the_promised_shape(generated: tuple[Path, Path, Path, str]) -> None:
    private_path, public_dir, public_path, fpr = generated
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert public_path == public_dir / f"{fpr}.pub"
    text = public_path.read_text("ascii")
    assert text.endswith("\n") and text.count("\n") == 2  # box key, then verify key
    [public] = load_public_keys(public_dir)
    assert fingerprint(public) == fpr
    [listed] = load_reviewers(public_dir)
    key = load_reviewer_key(private_path, PASSPHRASE)
    assert listed == ReviewerPublicKey(public, key.verify_key) and key.signing_seed is not None
    doc = json.loads(private_path.read_text("utf-8"))
    assert doc["format"] == "qingfeng-reviewer-key" and doc["version"] == 2 and doc["kdf"] == "argon2id"
    assert doc["fingerprint"] == fpr and base64.b64decode(doc["public_key"]) == public
    assert base64.b64decode(doc["verify_key"]) == key.verify_key


def test_the_right_passphrase_opens_reports_sealed_to_the_public_key(
    generated: tuple[Path, Path, Path, str],
) -> None:
    private_path, public_dir, _, _ = generated
    private, public = load_private_key(private_path, PASSPHRASE)
    assert load_public_keys(public_dir) == [public]
    assert open_sealed(seal(b"report", [public]), private) == b"report"
    # The private key is in the file only encrypted, in no encoding.
    content = private_path.read_bytes()
    for form in (private, private.hex().encode(), base64.b64encode(private), base64.b64encode(private)[:20]):
        assert form not in content


def test_a_wrong_passphrase_is_refused(generated: tuple[Path, Path, Path, str]) -> None:
    with pytest.raises(KeyFileError, match=KeyProblem.WRONG_PASSPHRASE):
        load_private_key(generated[0], PASSPHRASE + " ")


def test_an_existing_key_file_is_never_overwritten(generated: tuple[Path, Path, Path, str]) -> None:
    private_path, public_dir, _, _ = generated
    before = private_path.read_bytes()
    with pytest.raises(KeyFileError):
        write_key_files(private_path, public_dir, PASSPHRASE)
    assert private_path.read_bytes() == before and len(list(public_dir.glob("*.pub"))) == 1


def test_short_or_empty_passphrases_are_refused_before_any_work() -> None:
    private, _ = generate_keypair()
    for passphrase in ("", "1234567"):
        with pytest.raises(ValueError):
            protect_private_key(private, passphrase)


def test_malformed_key_files_are_refused_without_running_the_kdf(
    generated: tuple[Path, Path, Path, str], tmp_path: Path
) -> None:
    good = json.loads(generated[0].read_text("utf-8"))
    variants: list[bytes] = [b"", b"\xff", b"[]", b"{}", json.dumps(good)[:-5].encode()]
    for field, value in [
        ("format", "other"),
        ("version", 3),
        ("version", True),  # equals 1, but is not the integer 1
        ("version", 1),  # a version-2 file relabelled: its ciphertext is too long for version 1
        ("verify_key", "AAAA"),
        ("kdf", "scrypt"),
        ("memlimit", 1 << 40),  # a crafted file must not make us allocate a terabyte
        ("opslimit", True),
        ("salt", "AAAA"),
        ("ciphertext", "not base64!"),
    ]:
        variants.append(json.dumps({**good, field: value}).encode())
    for data in variants:
        with pytest.raises(KeyFileError, match=KeyProblem.MALFORMED):
            unlock_private_key(data, PASSPHRASE)
    with pytest.raises(KeyFileError, match=KeyProblem.MISSING):
        load_private_key(tmp_path / "absent.key", PASSPHRASE)


def test_public_key_directory_loading(tmp_path: Path) -> None:
    assert load_public_keys(tmp_path / "absent") == []
    keys = sorted((generate_keypair()[1] for _ in range(2)), key=fingerprint)
    for key in keys:
        (tmp_path / f"{fingerprint(key)}.pub").write_text(base64.b64encode(key).decode() + "\n")
    (tmp_path / "README.txt").write_text("not a key")
    assert load_public_keys(tmp_path) == keys
    (tmp_path / "zz-bad.pub").write_text(base64.b64encode(b"too short").decode())
    with pytest.raises(KeyFileError, match=r"zz-bad\.pub"):
        load_public_keys(tmp_path)
    (tmp_path / "zz-bad.pub").write_text("@@@ not base64")
    with pytest.raises(KeyFileError, match=r"zz-bad\.pub"):
        load_public_keys(tmp_path)
