"""Benchmark the regulation Q&A: index build time, warm ask latency, peak memory, answer quality.

Usage: .venv/bin/python bench/qa.py [--data-dir DIR] [--repeat N]
Builds the index of the bundled corpus (question bank included) from scratch in a fresh data dir (unless
--data-dir holds one), times `ask` over the dev questions with the model loaded once, and scores the dev set
(tuned on), the held-out set and the frozen blind test set (written before tuning, scored as it is).
Writes bench/results/qa.json and prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from knowledge.evaluation import evaluate, load_questions  # noqa: E402
from wiring.factory import build_knowledge  # noqa: E402
from wiring.settings import load_settings  # noqa: E402

DEV = ROOT / "tests" / "knowledge" / "data" / "dev_questions.jsonl"
HOLDOUT = ROOT / "bench" / "holdout_questions.jsonl"
FROZEN = ROOT / "bench" / "frozen_test_questions.jsonl"


def machine() -> str:
    """A one-line description of the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def start_seconds(data_dir: Path) -> float:
    """Wall time of a new process that builds the knowledge service on ``data_dir`` and answers once (warm)."""
    code = (
        "from wiring.factory import build_knowledge; from wiring.settings import load_settings; "
        f"build_knowledge(load_settings({{'data_dir': {str(data_dir)!r}}})).warm()"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    return time.perf_counter() - started


def main() -> int:
    """Run the benchmark and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="reuse this data dir (default: a fresh temporary one)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the dev questions for timing")
    parser.add_argument(
        "--sets",
        default="dev,holdout,frozen_test",
        help="question sets to score (comma-separated; leave frozen_test out while tuning)",
    )
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="qingfeng-bench-"))
    service = build_knowledge(load_settings({"data_dir": data_dir}))

    started = time.perf_counter()
    report = service.ingest()
    build_seconds = time.perf_counter() - started

    service.warm()
    starts = [start_seconds(data_dir) for _ in range(3)]
    dev = load_questions(DEV)
    latencies: list[float] = []
    for _ in range(args.repeat):
        for question in dev:
            t0 = time.perf_counter()
            service.ask(question.text)
            latencies.append((time.perf_counter() - t0) * 1000)

    results = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "index": {
            "documents": len(report.added) + len(report.updated) + len(report.unchanged),
            "chunks": report.total_chunks,
            "embedded": report.embedded,
            "build_seconds": round(build_seconds, 1),
        },
        "ask_warm_ms": {
            "questions": len(latencies),
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "mean": round(statistics.fmean(latencies), 1),
            "questions_per_second": round(1000 / statistics.fmean(latencies), 1),
        },
        # A new process on the built index: imports, loading the index and the models, the first answer.
        "start_seconds": round(statistics.median(starts), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
        "quality": {
            name: evaluate(service, load_questions(path)).summary()
            for name, path in (("dev", DEV), ("holdout", HOLDOUT), ("frozen_test", FROZEN))
            if name in args.sets.split(",") and path.exists()
        },
    }
    out = ROOT / "bench" / "results" / "qa.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    idx, ask, quality = results["index"], results["ask_warm_ms"], results["quality"]
    print(json.dumps(results, ensure_ascii=False, indent=2))
    print()
    print(f"Machine: {results['machine']} ({results['date']})")
    print()
    print("| measure | result | target |")
    print("|---|---|---|")
    print(
        f"| full ingest ({idx['documents']} documents, {idx['chunks']} chunks and bank questions) | "
        f"{idx['build_seconds']} s | ≤ 120 s |"
    )
    print(f"| warm ask p50 / p95 | {ask['p50']} / {ask['p95']} ms | p95 ≤ 50 ms |")
    print(f"| warm ask throughput | {ask['questions_per_second']} questions/s | |")
    print(
        f"| start on a built index (new process, to the first answer; median of 3) | {results['start_seconds']} s | |"
    )
    print(f"| peak RSS | {results['peak_rss_mb']:.0f} MB | ≤ 1,024 MB |")
    print()
    print(
        "| set | in scope / out | correct in top 3 | correct first | out-of-scope refused | in scope wrongly refused |"
    )
    print("|---|---|---|---|---|---|")
    for name, summary in quality.items():
        if summary:
            print(
                f"| {name} | {summary['in_scope']} / {summary['out_of_scope']} | {summary['top3_hit_rate']:.1%} | "
                f"{summary['first_hit_rate']:.1%} | {summary['out_of_scope_refused']:.1%} | "
                f"{summary['in_scope_wrongly_refused']:.1%} |"
            )
    print("| target (held-out sets) | | ≥ 92% | ≥ 70% | ≥ 93% | ≤ 3% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
