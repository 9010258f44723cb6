"""Score verdict-first answers: is the verdict right, never the opposite, and does the reply fit a phone?

Usage: .venv/bin/python bench/verdicts.py [--data-dir DIR] [--set PATH] [--show-misses]
Default set: bench/frozen_verdict_questions.jsonl (written from the corpus before the composer and the cards
existed; scored as it is, never tuned on). Each line: {"question", "verdict", "citations": [{"doc", "article"}]}.

Reports: verdict correct; opposite verdict (yes for no, no for yes); no verdict given; for the 视情况 items the
share answered "depends"; a cited article among the expected ones; how often a situation card answered; the
head (before the quotes) ≤ 350 characters and the first message ≤ 900 characters; ask latency.
Writes bench/results/verdicts.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from handlers.render import answer_html  # noqa: E402
from wiring.factory import build_knowledge  # noqa: E402
from wiring.settings import load_settings  # noqa: E402

FROZEN = ROOT / "bench" / "frozen_verdict_questions.jsonl"
OPPOSITE = {("yes", "no"), ("no", "yes")}
HEAD_MAX = 350
FIRST_MAX = 900


def main() -> int:
    """Run the set and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="an index built by qingfeng ingest")
    parser.add_argument("--set", type=Path, default=FROZEN, help="the verdict set (JSON Lines)")
    parser.add_argument("--show-misses", action="store_true", help="print every wrong or missing verdict")
    parser.add_argument("--json-out", type=Path, default=ROOT / "bench" / "results" / "verdicts.json")
    args = parser.parse_args()
    service = build_knowledge(load_settings({"data_dir": args.data_dir} if args.data_dir else {}))
    service.warm()
    rows = [json.loads(line) for line in args.set.read_text("utf-8").splitlines() if line.strip()]

    outcome: Counter[str] = Counter()
    by_expected: Counter[tuple[str, str]] = Counter()
    heads, firsts, times = [], [], []
    cited = cards = refused = 0
    misses = []
    for row in rows:
        started = time.perf_counter()
        answer = service.ask(row["question"])
        times.append((time.perf_counter() - started) * 1000)
        expected, got = row["verdict"], answer.verdict
        by_expected[(expected, got or "none")] += 1
        if answer.refused:
            refused += 1
        if got == expected:
            outcome["right"] += 1
        elif (expected, got) in OPPOSITE:
            outcome["opposite"] += 1
        elif got is None:
            outcome["none"] += 1
        else:
            outcome["other"] += 1
        if got != expected:
            misses.append((row["question"], expected, got, answer.card, answer.lead[:60]))
        want = {(c["doc"], c["article"]) for c in row.get("citations", [])}
        if want & {(c.source, c.article) for c in answer.citations}:
            cited += 1
        cards += answer.card is not None
        if not answer.refused:
            heads.append(len(answer.blocks[0]) if answer.blocks else len(answer.text))
            firsts.append(len(answer_html(answer)[0]))

    n = len(rows)
    clear = [r for r in rows if r["verdict"] != "depends"]
    depends_right = by_expected[("depends", "depends")]
    figures = {
        "set": str(args.set.relative_to(ROOT)) if args.set.is_relative_to(ROOT) else str(args.set),
        "questions": n,
        "verdict_correct": round(outcome["right"] / n, 3),
        "verdict_correct_clear": round(
            sum(by_expected[(r, r)] for r in ("yes", "no", "penalty", "info")) / max(1, len(clear)), 3
        ),
        "depends_answered_depends": round(depends_right / max(1, n - len(clear)), 3),
        "opposite_verdict": round(outcome["opposite"] / n, 3),
        "no_verdict": round(outcome["none"] / n, 3),
        "other_verdict": round(outcome["other"] / n, 3),
        "refused": refused,
        "expected_article_cited": round(cited / n, 3),
        "answered_by_card": round(cards / n, 3),
        "head_within_350": round(sum(h <= HEAD_MAX for h in heads) / max(1, len(heads)), 3),
        "first_message_within_900": round(sum(f <= FIRST_MAX for f in firsts) / max(1, len(firsts)), 3),
        "ask_ms_p50": round(statistics.median(times), 1),
        "ask_ms_p95": round(sorted(times)[int(0.95 * (n - 1))], 1),
        "confusion": {f"{e}->{g}": c for (e, g), c in sorted(by_expected.items())},
    }
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in figures.items() if k != "confusion"}, ensure_ascii=False, indent=2))
    print("confusion (expected->given):", figures["confusion"])
    if args.show_misses:
        for question, expected, got, card, lead in misses:
            print(f"{expected:>8} -> {got or '—':<8} {card or '':<36} {question} | {lead}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
