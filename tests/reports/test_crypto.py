"""Multi-recipient sealed envelopes and secret boxes."""

from __future__ import annotations

import pytest

from reports.crypto import (
    SLOT_BYTES,
    fingerprint,
    generate_keypair,
    open_json,
    open_sealed,
    open_secret_box,
    seal,
    seal_json,
    secret_box,
)
from reports.errors import DecryptionFailed

CANARY = "举报内容-CANARY-7f3a9c".encode()


@pytest.fixture(scope="module")
def reviewers() -> list[tuple[bytes, bytes]]:
    return [generate_keypair() for _ in range(3)]


def test_keypair_sizes_and_fingerprint_shape() -> None:
    private, public = generate_keypair()
    assert len(private) == len(public) == 32 and private != public
    fpr = fingerprint(public)
    assert len(fpr) == 19 and [len(g) for g in fpr.split("-")] == [4, 4, 4, 4]
    assert fpr == fingerprint(public) and fpr != fingerprint(generate_keypair()[1])


def test_one_recipient_roundtrip(reviewers: list[tuple[bytes, bytes]]) -> None:
    private, public = reviewers[0]
    assert open_sealed(seal(CANARY, [public]), private) == CANARY


def test_every_one_of_three_recipients_can_open(reviewers: list[tuple[bytes, bytes]]) -> None:
    envelope = seal(CANARY, [public for _, public in reviewers])
    assert len(envelope) == 2 + 3 * SLOT_BYTES + 24 + 16 + len(CANARY)
    for private, _ in reviewers:
        assert open_sealed(envelope, private) == CANARY


def test_the_plaintext_and_the_recipient_keys_never_appear_in_the_envelope(
    reviewers: list[tuple[bytes, bytes]],
) -> None:
    envelope = seal(CANARY * 4, [public for _, public in reviewers])
    assert CANARY not in envelope and b"CANARY" not in envelope
    for _, public in reviewers:
        assert public not in envelope


def test_each_envelope_is_fresh(reviewers: list[tuple[bytes, bytes]]) -> None:
    public = reviewers[0][1]
    assert seal(CANARY, [public]) != seal(CANARY, [public])


def test_a_key_that_is_not_a_recipient_cannot_open(reviewers: list[tuple[bytes, bytes]]) -> None:
    envelope = seal(CANARY, [reviewers[0][1], reviewers[1][1]])
    with pytest.raises(DecryptionFailed):
        open_sealed(envelope, reviewers[2][0])


def test_any_flipped_byte_fails_for_every_recipient(reviewers: list[tuple[bytes, bytes]]) -> None:
    envelope = seal(CANARY, [reviewers[0][1], reviewers[1][1]])
    # version, count, the *other* reviewer's slot, the nonce, the ciphertext and the MAC
    for position in (0, 1, 2 + SLOT_BYTES + 5, 2 + 2 * SLOT_BYTES + 3, len(envelope) - 1, len(envelope) - 20):
        damaged = bytearray(envelope)
        damaged[position] ^= 0x01
        with pytest.raises(DecryptionFailed):
            open_sealed(bytes(damaged), reviewers[0][0])


def test_truncated_extended_or_empty_envelopes_fail(reviewers: list[tuple[bytes, bytes]]) -> None:
    private, public = reviewers[0]
    envelope = seal(CANARY, [public])
    for cut in (0, 1, 2, 2 + SLOT_BYTES, 2 + SLOT_BYTES + 39, len(envelope) - 1):
        with pytest.raises(DecryptionFailed):
            open_sealed(envelope[:cut], private)
    with pytest.raises(DecryptionFailed):
        open_sealed(envelope + b"\0", private)


def test_a_dropped_slot_fails_even_for_the_remaining_recipient(reviewers: list[tuple[bytes, bytes]]) -> None:
    envelope = seal(CANARY, [reviewers[0][1], reviewers[1][1]])
    # Remove the second slot and fix the count: the header is bound to the body, so this is detected.
    stripped = bytes([1, 1]) + envelope[2 : 2 + SLOT_BYTES] + envelope[2 + 2 * SLOT_BYTES :]
    with pytest.raises(DecryptionFailed):
        open_sealed(stripped, reviewers[0][0])


def test_no_recipients_or_bad_keys_are_refused(reviewers: list[tuple[bytes, bytes]]) -> None:
    with pytest.raises(ValueError):
        seal(CANARY, [])
    with pytest.raises(ValueError):
        seal(CANARY, [b"short"])
    with pytest.raises(ValueError):
        open_sealed(seal(CANARY, [reviewers[0][1]]), b"short")


def test_a_repeated_recipient_gets_one_slot(reviewers: list[tuple[bytes, bytes]]) -> None:
    private, public = reviewers[0]
    envelope = seal(b"x", [public, public])
    assert envelope[1] == 1 and open_sealed(envelope, private) == b"x"


def test_json_roundtrip_keeps_chinese_text(reviewers: list[tuple[bytes, bytes]]) -> None:
    private, public = reviewers[0]
    report = {"category": "gifts", "details": "某科长春节期间收受购物卡", "n": 2}
    assert open_json(seal_json(report, [public]), private) == report


def test_open_json_refuses_an_envelope_that_is_not_an_object(reviewers: list[tuple[bytes, bytes]]) -> None:
    private, public = reviewers[0]
    for payload in (b"[1, 2]", b"\xff\xfe", b"not json"):
        with pytest.raises(DecryptionFailed):
            open_json(seal(payload, [public]), private)


def test_secret_box_roundtrip_and_failures() -> None:
    key, other = bytes(range(32)), bytes(32)
    data = secret_box(key, CANARY)
    assert CANARY not in data and open_secret_box(key, data) == CANARY
    with pytest.raises(DecryptionFailed):
        open_secret_box(other, data)
    with pytest.raises(DecryptionFailed):
        open_secret_box(key, data[:-1])
    with pytest.raises(DecryptionFailed):
        open_secret_box(key, data[:10])
    with pytest.raises(ValueError):
        secret_box(b"short", CANARY)
