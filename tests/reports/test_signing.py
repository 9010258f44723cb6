"""Reviewer actions are signed and checked against the reviewers folder (issue 11, finding 7).

The attacker here can write to the database (an operator, a DBA, anyone with the file) and can run the
reviewer tools with a key of their own; they do not control the reviewers folder.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import nacl.pwhash.argon2id as argon2id
import nacl.utils
import pytest
from nacl.secret import SecretBox
from sqlalchemy import func, select, update

from reports.crypto import fingerprint, generate_keypair, seal_json
from reports.errors import ReviewerKeyRefused
from reports.keys import (
    FORMAT,
    ReviewerKey,
    ReviewerPublicKey,
    load_reviewer_key,
    load_reviewers,
    upgrade_key_file,
)
from reports.model import ReportDraft
from reports.receipt import ReceiptKeys
from reports.review import Reviewer
from reports.service import ReportService, reply_fields
from reports.signing import generate_signing_seed, sign
from reports.store import entries_table, reports_table
from tests.reports.conftest import SECRET, ReportKit, listing, new_reviewer_key

PHISHING = "请提供您的姓名和手机号以便核实"
PASSPHRASE = "清风正气 correct horse"


def submit(kit: ReportKit) -> tuple[str, str]:
    """A report; (receipt code, report id)."""
    receipt = kit.service().submit(ReportDraft("gifts", "某处长逢年过节收受下属购物卡，金额较大。"))
    report = kit.store.by_lookup_hash(ReceiptKeys(SECRET).derive(receipt.code)[0])
    assert report is not None
    return receipt.code, report.id


def entry_count(kit: ReportKit) -> int:
    with kit.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(entries_table)).scalar_one())


def test_a_key_not_in_the_reviewers_folder_can_do_nothing(kit: ReportKit) -> None:
    code, report_id = submit(kit)
    outsider = Reviewer(kit.store, new_reviewer_key(), lambda: kit.directory, kit.days)
    entries = entry_count(kit)
    for action in (
        lambda: outsider.reply(report_id, PHISHING),
        lambda: outsider.set_status(report_id, "in_progress"),
        lambda: outsider.purge(0),
        outsider.list,
        lambda: outsider.show(report_id),
    ):
        with pytest.raises(ReviewerKeyRefused) as refused:
            action()
        assert refused.value.reason == "unknown"
    assert entry_count(kit) == entries and kit.store.audit_log() == []
    view = kit.service().status(code)
    assert (view.status, view.replies, view.unverified) == ("new", (), 0)


def test_a_key_that_cannot_sign_may_not_act(kit: ReportKit) -> None:
    _, report_id = submit(kit)
    listed = kit.reviewer_keys[0]
    old = ReviewerKey(listed.private_key, listed.public_key, None)  # a version-1 key file
    folder = [ReviewerPublicKey(listed.public_key, None)]
    with pytest.raises(ReviewerKeyRefused) as refused:
        Reviewer(kit.store, old, folder, kit.days).reply(report_id, "请补充具体时间。")
    assert refused.value.reason == "cannot_sign"
    # The key file was upgraded but the folder still holds the old .pub: its signature would not count.
    with pytest.raises(ReviewerKeyRefused):
        Reviewer(kit.store, listed, folder, kit.days).reply(report_id, "请补充具体时间。")


def test_a_reply_sealed_by_whoever_writes_to_the_database_is_not_shown(kit: ReportKit) -> None:
    code, report_id = submit(kit)
    report = kit.store.get(report_id)
    assert report is not None
    day = kit.days()
    # Sealed to the reporter's public reply key, unsigned, then signed by a key nobody listed.
    kit.store.add_entry(report_id, "reply", day, seal_json({"text": PHISHING}, [report.reply_public]))
    stranger = generate_signing_seed()
    forged = {
        "report": report_id,
        "kind": "reply",
        "day": day.isoformat(),
        "text": PHISHING,
        "signer": base64.b64encode(new_reviewer_key().verify_key or b"").decode(),
        "signature": base64.b64encode(sign(stranger, reply_fields(report_id, day, PHISHING))).decode(),
    }
    kit.store.add_entry(report_id, "reply", day, seal_json(forged, [report.reply_public]))
    kit.reviewer(0).reply(report_id, "已收到，正在核查。")
    view = kit.service().status(code)
    assert [m.text for m in view.replies] == ["已收到，正在核查。"]
    assert view.unverified == 2
    # Reviewers see them flagged (sealed to the reporter only, they cannot be read, only seen to exist).
    detail = kit.reviewer(1).show(report_id)
    assert [(m.text, m.verified) for m in detail.thread] == [
        ("", False),
        ("", False),
        ("已收到，正在核查。", True),
    ]


def test_a_genuine_reply_moved_to_another_day_or_report_is_not_shown(kit: ReportKit) -> None:
    code, report_id = submit(kit)
    other_code, other_id = submit(kit)
    kit.reviewer(0).reply(report_id, "请补充具体时间。")
    [_, reply] = kit.store.entries(report_id)
    # Refiled under another day of the same report, and copied into another report.
    kit.store.add_entry(report_id, "reply", reply.day + dt.timedelta(days=30), reply.envelope)
    kit.store.add_entry(other_id, "reply", reply.day, reply.envelope)
    view = kit.service().status(code)
    assert ([m.text for m in view.replies], view.unverified) == (["请补充具体时间。"], 1)
    moved = kit.service().status(other_code)
    assert (moved.replies, moved.unverified) == ((), 1)
    detail = kit.reviewer(1).show(other_id)
    assert [m.verified for m in detail.thread] == [False]


def test_an_addition_moved_to_another_report_is_flagged_for_reviewers(kit: ReportKit) -> None:
    code, report_id = submit(kit)
    _, other_id = submit(kit)
    kit.service().add_information(code, "还有一张发票照片。")
    addition = kit.store.entries(report_id)[1]
    kit.store.add_entry(other_id, "addition", addition.day, addition.envelope)
    assert [m.verified for m in kit.reviewer(0).show(report_id).thread] == [True]
    assert [m.verified for m in kit.reviewer(0).show(other_id).thread] == [False]


def test_a_status_set_by_hand_is_not_believed_nor_purged(kit: ReportKit) -> None:
    code, report_id = submit(kit)
    with kit.engine.begin() as conn:
        conn.execute(
            update(reports_table)
            .where(reports_table.c.id == report_id)
            .values(status="closed", status_day=kit.days(), closed_day=kit.days())
        )
    view = kit.service().status(code)
    assert (view.status, view.unverified) == ("new", 1)
    assert kit.reviewer(0).show(report_id).status_verified is False
    kit.days.advance(400)
    assert kit.reviewer(0).purge(0) == 0 and kit.service().purge(0) == 0
    assert kit.store.get(report_id) is not None


def test_signed_status_changes_are_shown_and_purged(kit: ReportKit) -> None:
    code, report_id = submit(kit)
    kit.reviewer(0).set_status(report_id, "in_progress")
    kit.reviewer(1).set_status(report_id, "closed")
    view = kit.service().status(code)
    assert (view.status, view.unverified) == ("closed", 0)
    # A signed status copied onto another report does not count there.
    other_code, other_id = submit(kit)
    proof = kit.store.get(report_id).status_proof  # type: ignore[union-attr]
    with kit.engine.begin() as conn:
        conn.execute(
            update(reports_table)
            .where(reports_table.c.id == other_id)
            .values(status="closed", status_day=kit.days(), closed_day=kit.days(), status_proof=proof)
        )
    assert kit.service().status(other_code).status == "new"
    kit.days.advance(30)
    assert kit.reviewer(0).purge(30) == 1
    assert kit.store.get(report_id) is None and kit.store.get(other_id) is not None


def test_a_retired_reviewers_replies_still_count_but_the_key_may_not_act(kit: ReportKit) -> None:
    code, report_id = submit(kit)
    kit.reviewer(1).reply(report_id, "已转相关部门核查。")
    retired = kit.reviewer_keys[1]
    folder = [*listing(kit.reviewer_keys[0]), ReviewerPublicKey(retired.public_key, retired.verify_key, True)]
    service = ReportService(kit.store, folder, ReceiptKeys(SECRET), kit.days)
    assert [m.text for m in service.status(code).replies] == ["已转相关部门核查。"]
    assert service.reviewer_keys() == [kit.reviewer_keys[0].public_key]  # nothing new is sealed to it
    with pytest.raises(ReviewerKeyRefused):
        Reviewer(kit.store, retired, folder, kit.days).reply(report_id, "再答复一次")
    # Removed from the folder altogether: its replies are no longer shown.
    gone = ReportService(kit.store, listing(kit.reviewer_keys[0]), ReceiptKeys(SECRET), kit.days)
    assert gone.status(code).unverified == 1


def write_version_one_key(path: Path, public_dir: Path) -> tuple[bytes, bytes]:
    """A key file and .pub as written before signing keys existed; (private, public)."""
    private, public = generate_keypair()
    salt = nacl.utils.random(argon2id.SALTBYTES)
    nonce = nacl.utils.random(SecretBox.NONCE_SIZE)
    ops, mem = argon2id.OPSLIMIT_MIN, argon2id.MEMLIMIT_MIN
    box = argon2id.kdf(SecretBox.KEY_SIZE, PASSPHRASE.encode(), salt, opslimit=ops, memlimit=mem)
    document = {
        "format": FORMAT,
        "version": 1,
        "kdf": "argon2id",
        "opslimit": ops,
        "memlimit": mem,
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(SecretBox(box).encrypt(private, nonce).ciphertext).decode(),
        "public_key": base64.b64encode(public).decode(),
        "fingerprint": fingerprint(public),
    }
    path.write_text(json.dumps(document), "utf-8")
    public_dir.mkdir(parents=True, exist_ok=True)
    (public_dir / f"{fingerprint(public)}.pub").write_text(base64.b64encode(public).decode() + "\n", "ascii")
    return private, public


def test_a_version_one_key_is_upgraded_in_place(tmp_path: Path) -> None:
    key_path, public_dir = tmp_path / "reviewer.key", tmp_path / "reviewers"
    private, public = write_version_one_key(key_path, public_dir)
    old = load_reviewer_key(key_path, PASSPHRASE)
    assert (old.private_key, old.public_key, old.signing_seed) == (private, public, None)
    assert load_reviewers(public_dir) == [ReviewerPublicKey(public, None)]

    public_path, fpr, changed = upgrade_key_file(key_path, public_dir, PASSPHRASE)
    assert changed and fpr == fingerprint(public) and public_path == public_dir / f"{fpr}.pub"
    new = load_reviewer_key(key_path, PASSPHRASE)  # same passphrase
    assert (new.private_key, new.public_key) == (private, public) and new.signing_seed is not None
    assert load_reviewers(public_dir) == [ReviewerPublicKey(public, new.verify_key)]
    assert {p.name for p in tmp_path.rglob("*")} == {
        "reviewer.key",
        "reviewers",
        f"{fpr}.pub",
    }  # no leftovers
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"
    # Running it again changes nothing.
    assert upgrade_key_file(key_path, public_dir, PASSPHRASE)[2] is False
    assert load_reviewer_key(key_path, PASSPHRASE).signing_seed == new.signing_seed


def test_the_reporter_is_told_that_something_failed_the_check() -> None:
    from handlers.report import status_html
    from reports.model import StatusView

    [html] = status_html(StatusView("new", dt.date(2026, 9, 1), (), 0, unverified=2))
    assert "2 条记录未通过审阅人签名核验" in html and "不会向您询问姓名" in html
    [clean] = status_html(StatusView("new", dt.date(2026, 9, 1), (), 0))
    assert "核验" not in clean
