"""Judge a model before switching it on: the verdict and dev sets answered through it, checked and timed.

Usage: .venv/bin/python bench/llm_eval.py --base-url URL --model NAME [--api-key KEY] [--timeout 20]
       [--data-dir var] [--limit N]
Runs every question of the verdict set (tests/knowledge/data/dev_verdict_questions.jsonl and
bench/frozen_verdict_questions.jsonl) and of the retrieval dev set through the same chain the bot uses
(retrieval → gate → numbered excerpts → the model → verification → the offline answer on any failure), against
the server given (any OpenAI-compatible /v1: Ollama, vLLM, Xinference, a gateway). Reports, per set: how often
the model's answer was shown (verified), the fall-backs by kind, verdict accuracy of what the user sees and of
the model's own answers, an expected article among the sources, time to first token and total time (p50/p95).
Writes bench/results/llm_eval-<model>.json. Nothing here is tuned on: it measures the model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from qa import machine, percentile  # noqa: E402

from knowledge.evaluation import load_questions  # noqa: E402
from wiring.factory import build_knowledge, build_llm  # noqa: E402
from wiring.settings import load_settings  # noqa: E402

VERDICT_SETS = {
    "verdict-dev": ROOT / "tests" / "knowledge" / "data" / "dev_verdict_questions.jsonl",
    "verdict-frozen": ROOT / "bench" / "frozen_verdict_questions.jsonl",
}
DEV = ROOT / "tests" / "knowledge" / "data" / "dev_questions.jsonl"


def _verdict_items(path: Path) -> list[dict[str, object]]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            expected = {(c["doc"], c["article"]) for c in raw.get("citations", [])}
            items.append({"question": raw["question"], "verdict": raw["verdict"], "expected": expected})
    return items


def _dev_items(path: Path) -> list[dict[str, object]]:
    return [{"question": q.text, "verdict": None, "expected": set(q.gold)} for q in load_questions(path)]


async def _run_set(knowledge, llm, items: list[dict[str, object]]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    fallbacks: Counter[str] = Counter()
    first_tokens: list[float] = []
    totals: list[float] = []
    shown_right = model_right = model_judged = judged = cited = asked = 0
    for item in items:
        question = str(item["question"])
        explanation = knowledge.explain(question)
        grounding = knowledge.grounding(explanation)
        if grounding is None:
            fallbacks["gated"] += 1
            answer, verified = explanation.answer, False
        else:
            asked += 1
            started = time.perf_counter()
            result = await llm.answer(grounding)
            totals.append(time.perf_counter() - started)
            if result.first_token is not None:
                first_tokens.append(result.first_token)
            answer, verified = result.answer, result.outcome.verified
            if not verified:
                fallbacks[str(result.outcome.fallback)] += 1
        expected_verdict = item["verdict"]
        if expected_verdict is not None:
            judged += 1
            shown_right += answer.verdict == expected_verdict
            if verified:
                model_judged += 1
                model_right += answer.verdict == expected_verdict
        expected = item["expected"]
        cited += any((c.source, c.article) in expected for c in answer.citations)  # type: ignore[operator]
    n = len(items)
    verified_count = asked - sum(v for k, v in fallbacks.items() if k != "gated")
    return {
        "questions": n,
        "sent_to_model": asked,
        "verified": verified_count,
        "verified_share": round(verified_count / asked, 3) if asked else None,
        "fallbacks": dict(fallbacks.most_common()),
        "verdict_correct_shown": round(shown_right / judged, 3) if judged else None,
        "verdict_correct_model_answers": round(model_right / model_judged, 3) if model_judged else None,
        "expected_article_cited": round(cited / n, 3) if n else None,
        "first_token_p50_s": round(percentile(first_tokens, 50), 2) if first_tokens else None,
        "first_token_p95_s": round(percentile(first_tokens, 95), 2) if first_tokens else None,
        "total_p50_s": round(percentile(totals, 50), 2) if totals else None,
        "total_p95_s": round(percentile(totals, 95), 2) if totals else None,
    }


def main() -> int:
    """Run the sets against the server and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="OpenAI-compatible endpoint ending in /v1")
    parser.add_argument("--model", required=True, help="the model's name on that server")
    parser.add_argument("--api-key", default=None)
    parser.add_argument(
        "--timeout", type=float, default=20.0, help="seconds per answer (QINGFENG_LLM_TIMEOUT)"
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var")
    parser.add_argument("--limit", type=int, default=0, help="at most this many questions per set (0: all)")
    args = parser.parse_args()

    values: dict[str, object] = {
        "data_dir": args.data_dir,
        "llm_base_url": args.base_url,
        "llm_model": args.model,
        "llm_timeout": args.timeout,
    }
    if args.api_key:
        values["llm_api_key"] = args.api_key
    settings = load_settings(values)
    knowledge = build_knowledge(settings)
    knowledge.ensure_ready()
    knowledge.warm()
    llm = build_llm(settings)
    assert llm is not None
    sets = {name: _verdict_items(path) for name, path in VERDICT_SETS.items()}
    sets["retrieval-dev"] = _dev_items(DEV)
    results: dict[str, object] = {}

    async def run_all() -> None:
        for name, items in sets.items():
            chosen = items[: args.limit] if args.limit else items
            results[name] = await _run_set(knowledge, llm, chosen)
            print(name, json.dumps(results[name], ensure_ascii=False), flush=True)

    asyncio.run(run_all())
    report = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "model": args.model,
        "base_url": args.base_url,
        "timeout_s": args.timeout,
        "sets": results,
    }
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", args.model)
    out = ROOT / "bench" / "results" / f"llm_eval-{safe}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print()
    print(
        "| set | questions | to model | verified | fall-backs | verdict (shown) | verdict (model) | article | TTFT p50/p95 | total p50/p95 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        assert isinstance(r, dict)
        print(
            f"| {name} | {r['questions']} | {r['sent_to_model']} | {r['verified']} | {r['fallbacks']} | "
            f"{r['verdict_correct_shown']} | {r['verdict_correct_model_answers']} | {r['expected_article_cited']} | "
            f"{r['first_token_p50_s']}/{r['first_token_p95_s']} s | {r['total_p50_s']}/{r['total_p95_s']} s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
