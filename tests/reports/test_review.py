"""The reviewers' side: list, show, reply, status order, export, audit — real store, real keys."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from reports.crypto import fingerprint
from reports.errors import DecryptionFailed, InvalidReport, StatusChangeRefused, UnknownReport
from reports.model import REPLY_MAX, Attachment, ReportDraft
from reports.review import Reviewer, safe_filename
from reports.store import AuditEntry
from tests.reports.conftest import DAY, ReportKit, listing, new_reviewer_key

PHOTO = Attachment("../../etc/现场照片.jpg", "image/jpeg", b"\xff\xd8\xff" + b"jpeg" * 100)
NOTE = Attachment("说明.txt", "text/plain", "会议纪要".encode(), warning="未能清除元数据")


def submit(kit: ReportKit, category: str = "gifts", files: tuple[Attachment, ...] = ()) -> str:
    """Submit a report and return its id (as a reviewer sees it)."""
    before = {s.report.id for s in kit.store.summaries()}
    kit.service().submit(
        ReportDraft(
            category=category,
            details="某处长逢年过节收受下属购物卡，金额较大。",
            subject="某局某处",
            when_where="2026年春节前后",
            attachments=files,
        )
    )
    [new] = {s.report.id for s in kit.store.summaries()} - before
    return new


def test_list_decrypts_categories_and_counts(kit: ReportKit) -> None:
    first = submit(kit, "gifts", (PHOTO, NOTE))
    kit.days.advance(1)
    second = submit(kit, "official_cars")
    reviewer = kit.reviewer()
    reviewer.reply(first, "已收到。")
    summaries = reviewer.list()
    assert [(s.id, s.day, s.status, s.category) for s in summaries] == [
        (second, kit.days.today, "new", "official_cars"),  # newest day first
        (first, DAY, "new", "gifts"),
    ]
    assert (summaries[1].attachments, summaries[1].messages) == (2, 1)
    reviewer.set_status(second, "in_progress")
    assert [s.id for s in reviewer.list("in_progress")] == [second]
    assert reviewer.list("closed") == []


def test_show_decrypts_everything_for_every_reviewer(kit: ReportKit) -> None:
    report_id = submit(kit, files=(PHOTO, NOTE))
    kit.reviewer(0).reply(report_id, "请补充具体时间。")
    for index in (0, 1):
        detail = kit.reviewer(index).show(report_id.lower())  # ids are typed in any case
        assert (detail.id, detail.category, detail.subject) == (report_id, "gifts", "某局某处")
        assert detail.details == "某处长逢年过节收受下属购物卡，金额较大。"
        assert detail.when_where == "2026年春节前后"
        assert detail.attachments == (PHOTO, NOTE)
        assert [(m.kind, m.text) for m in detail.thread] == [("reply", "请补充具体时间。")]


def test_a_reviewer_added_later_cannot_read_older_reports(kit: ReportKit) -> None:
    report_id = submit(kit)
    kit.reviewer_keys.append(new_reviewer_key())
    late = kit.reviewer(2)
    assert [s.category for s in late.list()] == [""]
    with pytest.raises(DecryptionFailed):
        late.show(report_id)
    # A reply written now is sealed to every current reviewer, the late one included.
    kit.reviewer(0).reply(report_id, "补充答复")
    newer = submit(kit)
    assert late.show(newer).category == "gifts"


def test_replies_are_checked(kit: ReportKit) -> None:
    report_id = submit(kit)
    reviewer = kit.reviewer()
    with pytest.raises(InvalidReport) as empty:
        reviewer.reply(report_id, "  \n ")
    assert (empty.value.field, empty.value.problem) == ("text", "empty")
    with pytest.raises(InvalidReport) as long:
        reviewer.reply(report_id, "答" * (REPLY_MAX + 1))
    assert long.value.problem == "too_long"
    reviewer.reply(report_id, "答" * REPLY_MAX)


def test_status_moves_only_forward_one_step(kit: ReportKit) -> None:
    report_id = submit(kit)
    reviewer = kit.reviewer()
    for wanted in ("closed", "new", "archived"):
        with pytest.raises(StatusChangeRefused) as refused:
            reviewer.set_status(report_id, wanted)
        assert (refused.value.current, refused.value.wanted) == ("new", wanted)
    kit.days.advance(5)
    reviewer.set_status(report_id, "in_progress")
    with pytest.raises(StatusChangeRefused):
        reviewer.set_status(report_id, "in_progress")
    with pytest.raises(StatusChangeRefused):
        reviewer.set_status(report_id, "new")
    kit.days.advance(5)
    reviewer.set_status(report_id, "closed")
    report = kit.store.get(report_id)
    assert report is not None
    assert (report.status, report.status_day, report.closed_day) == ("closed", kit.days.today, kit.days.today)
    for wanted in ("new", "in_progress", "closed"):
        with pytest.raises(StatusChangeRefused):
            reviewer.set_status(report_id, wanted)
    # Replies stay possible on a closed report: the reporter may still need the outcome.
    reviewer.reply(report_id, "已办结。")


def test_unknown_ids(kit: ReportKit) -> None:
    reviewer = kit.reviewer()
    for action in (
        lambda: reviewer.show("NOSUCHID00"),
        lambda: reviewer.reply("NOSUCHID00", "答复"),
        lambda: reviewer.set_status("NOSUCHID00", "in_progress"),
    ):
        with pytest.raises(UnknownReport):
            action()


def test_every_action_is_audited_by_day_and_fingerprint(kit: ReportKit) -> None:
    report_id = submit(kit)
    reviewer, colleague = kit.reviewer(0), kit.reviewer(1)
    me, other = fingerprint(kit.public_keys[0]), fingerprint(kit.public_keys[1])
    reviewer.list()
    reviewer.show(report_id)
    kit.days.advance(1)
    reviewer.reply(report_id, "收到")
    colleague.set_status(report_id, "in_progress")
    with pytest.raises(StatusChangeRefused):
        colleague.set_status(report_id, "new")  # refused changes change nothing and are not recorded
    next_day = kit.days.today
    assert kit.store.audit_log() == [
        AuditEntry(DAY, me, "list", None),
        AuditEntry(DAY, me, "show", report_id),
        AuditEntry(next_day, me, "reply", report_id),
        AuditEntry(next_day, other, "status:in_progress", report_id),
    ]
    assert reviewer.audit_log(report_id.lower())[-1].action == "status:in_progress"


def test_export_writes_decrypted_reports_and_files(kit: ReportKit, tmp_path: Path) -> None:
    with_files = submit(kit, files=(PHOTO, NOTE))
    plain = submit(kit, "banquets")
    reviewer = kit.reviewer()
    reviewer.reply(with_files, "已转核查。")
    target = tmp_path / "export"
    assert reviewer.export(target) == 2
    assert sorted(p.name for p in target.iterdir()) == sorted([with_files, plain])
    folder = target / with_files
    document = json.loads((folder / "report.json").read_text("utf-8"))
    assert document["category_label"] == "违规收送礼品礼金" and document["status_label"] == "已受理"
    assert document["details"] == "某处长逢年过节收受下属购物卡，金额较大。"
    reply = {"day": DAY.isoformat(), "kind": "reply", "text": "已转核查。", "verified": True}
    assert document["thread"] == [reply] and document["status_verified"] is True
    assert [a["file"] for a in document["attachments"]] == ["01-现场照片.jpg", "02-说明.txt"]
    assert document["attachments"][1]["warning"] == "未能清除元数据"
    assert (folder / "01-现场照片.jpg").read_bytes() == PHOTO.data
    assert (folder / "02-说明.txt").read_bytes() == NOTE.data
    assert stat.S_IMODE((folder / "report.json").stat().st_mode) == 0o600
    assert not (tmp_path / "etc").exists()
    assert [a.action for a in kit.store.audit_log(plain)] == ["export"]
    assert (target / plain / "report.json").exists()


def test_export_refuses_reports_this_key_cannot_open(kit: ReportKit, tmp_path: Path) -> None:
    submit(kit)
    key = new_reviewer_key()
    with pytest.raises(DecryptionFailed):
        Reviewer(kit.store, key, [*kit.directory, *listing(key)], kit.days).export(tmp_path / "out")


def test_safe_filename() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\张三\\照片.jpg") == "照片.jpg"
    assert safe_filename("..") == "attachment"
    assert safe_filename('a<b>:c"|?*.txt') == "a_b__c____.txt"
    assert safe_filename(".hidden") == "hidden"
