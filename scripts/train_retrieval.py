"""Train the learned ranker and relevance gate from the question bank and the out-of-scope set.

Usage: .venv/bin/python scripts/train_retrieval.py [--data-dir DIR] [--folds 5] [--seed 7]

Honest by construction: the bank is split into folds by a hash of each question; a question is scored with the
views of its own fold hidden (its own twin and its fold-mates are not there to find), and every figure printed
is out-of-fold. Writes knowledge/data/ranker.txt and knowledge/data/gate.json (reproducible for a fixed seed),
and bench/results/train_retrieval.json with the cross-validated figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

from knowledge.evaluation import load_questions  # noqa: E402
from knowledge.features import FEATURES, candidates, feature_rows  # noqa: E402
from knowledge.gate import EVIDENCE, evidence  # noqa: E402
from knowledge.ranker import FusedRanker  # noqa: E402
from knowledge.retriever import HybridRetriever, Retrieval  # noqa: E402
from knowledge.tokenizer import normalize  # noqa: E402
from wiring.factory import build_knowledge  # noqa: E402
from wiring.settings import load_settings  # noqa: E402

DATA = ROOT / "knowledge" / "data"
OUT_OF_SCOPE = DATA / "out_of_scope"
DEV = ROOT / "tests" / "knowledge" / "data" / "dev_questions.jsonl"
RANKER_PARAMS = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [1, 3],
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambdarank_truncation_level": 20,
    "num_threads": 2,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
ROUNDS = 250
TARGET_WRONG_REFUSAL = 0.02  # at most this share of dev in-scope questions refused
TARGET_REFUSAL = 0.975  # at least this share of out-of-scope questions refused (out of fold)


def fold_of(text: str, folds: int) -> int:
    """A stable fold for a question (the same on every machine and run)."""
    return int(hashlib.sha256(normalize(text).encode()).hexdigest(), 16) % folds


def choose_threshold(in_scope: np.ndarray, out_of_scope: np.ndarray) -> float:
    """The lowest threshold that still refuses the target share of out-of-scope questions (out of fold), unless
    that would refuse more than the target share of the dev set's in-scope questions.

    Real questions are harder than the bank and the dev set, so the threshold is set no higher than it must be.
    """
    upper = float(np.quantile(in_scope, TARGET_WRONG_REFUSAL))
    lower = float(np.quantile(out_of_scope, TARGET_REFUSAL))
    return min(lower, upper)


def load_out_of_scope() -> list[str]:
    """Every out-of-scope question, deduplicated, in file order."""
    seen: dict[str, None] = {}
    for path in sorted(OUT_OF_SCOPE.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                seen.setdefault(line, None)
    return list(seen)


def groups_for(retriever: HybridRetriever, question: str, vector: np.ndarray, mask: np.ndarray | None):
    """Analysis, signals, candidates and feature rows for one question."""
    analysis = retriever.analyse(question)
    signals = retriever.signals(analysis, vector, mask)
    chosen = candidates(signals, retriever.config.candidates)
    rows = feature_rows(
        signals,
        retriever._table,
        chosen,
        normalize(question),
        analysis.content_words,
        analysis.expansion.consequence,
    )
    return analysis, signals, chosen, rows


def main() -> int:
    """Build the index, compute features, train, cross-validate and save both models."""
    import lightgbm as lgb
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="reuse this data dir's index (default: a fresh one)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    started = time.perf_counter()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="qingfeng-train-"))
    service = build_knowledge(load_settings({"data_dir": data_dir}))
    service.ingest()
    retriever = service.retriever
    retriever.ranker = FusedRanker()
    retriever.refresh()
    views = retriever.views
    keys = retriever.keys
    key_index = {k: i for i, k in enumerate(keys)}
    view_fold = np.array([fold_of(v.text, args.folds) for v in views])
    vectors = retriever._view_vectors
    print(
        f"index ready: {len(keys)} articles, {len(views)} bank questions ({time.perf_counter() - started:.0f} s)"
    )

    # Ranker data: two groups per bank question. In the first its own fold's views are hidden (its twin is not
    # there to find); in the second every view of its whole document is hidden too, as for a document a user adds
    # without bank questions (and for real questions that no bank question resembles).
    view_document = retriever._table.document[retriever.view_article]
    groups: list[dict] = []
    for variant in ("fold", "document"):
        for i, view in enumerate(views):
            gold = key_index[view.key]
            mask = view_fold != view_fold[i]
            if variant == "document":
                mask &= view_document != view_document[i]
            analysis, signals, chosen, rows = groups_for(retriever, view.text, vectors[i], mask)
            groups.append(
                {
                    "fold": int(view_fold[i]),
                    "rows": rows,
                    "label": (chosen == gold).astype(np.float32),
                    "chosen": chosen,
                    "analysis": analysis,
                    "signals": signals,
                    "vector": vectors[i],
                    "variant": variant,
                }
            )
    covered = np.mean([g["label"].any() for g in groups])
    print(
        f"features: {len(groups)} groups, gold among candidates {covered:.1%} ({time.perf_counter() - started:.0f} s)"
    )

    def train(selected: list[dict]) -> lgb.Booster:
        usable = [g for g in selected if g["label"].any()]
        dataset = lgb.Dataset(
            np.vstack([g["rows"] for g in usable]),
            label=np.concatenate([g["label"] for g in usable]),
            group=[len(g["rows"]) for g in usable],
            feature_name=list(FEATURES),
            free_raw_data=True,
        )
        return lgb.train({**RANKER_PARAMS, "seed": args.seed}, dataset, num_boost_round=ROUNDS)

    fold_models = []
    for k in range(args.folds):
        model = train([g for g in groups if g["fold"] != k])
        fold_models.append(model)
        for g in (g for g in groups if g["fold"] == k):
            g["scores"] = model.predict(g["rows"], num_threads=2)
    fused = FusedRanker()

    def recall(selected: list[dict], key: str, at: int) -> float:
        hits = 0
        for g in selected:
            scores = g["scores"] if key == "model" else fused.score(g["rows"])
            hits += bool(g["label"][np.argsort(-scores, kind="stable")][:at].any())
        return hits / len(selected)

    ranker_figures = {}
    for variant in ("fold", "document"):
        selected = [g for g in groups if g["variant"] == variant]
        ranker_figures[variant] = {
            "r1": round(recall(selected, "model", 1), 4),
            "r3": round(recall(selected, "model", 3), 4),
            "fused_r1": round(recall(selected, "fused", 1), 4),
        }
        print(f"ranker out-of-fold, {variant} views hidden: {ranker_figures[variant]}")
    final = train(groups)
    final.save_model(str(DATA / "ranker.txt"), num_iteration=ROUNDS)

    # Gate data: bank questions (in scope, out-of-fold ranker scores) against out-of-scope questions.
    def retrieval_of(analysis, signals, vector, scores) -> Retrieval:
        order = np.sort(scores)[::-1]
        return Retrieval(analysis, [None], vector, signals, order.astype(np.float32))  # type: ignore[list-item]

    x_in = [evidence(retrieval_of(g["analysis"], g["signals"], g["vector"], g["scores"])) for g in groups]
    e_in = [g["vector"] for g in groups]
    f_in = [g["fold"] for g in groups]
    outside = load_out_of_scope()
    out_vectors = retriever.embedder.embed(outside)
    x_out, f_out = [], []
    for text, vector in zip(outside, out_vectors, strict=True):
        analysis, signals, _, rows = groups_for(retriever, text, vector, None)
        k = fold_of(text, args.folds)
        scores = fold_models[k].predict(rows, num_threads=2) if len(rows) else np.zeros(0)
        x_out.append(evidence(retrieval_of(analysis, signals, vector, scores)))
        f_out.append(k)
    y = np.array([1] * len(x_in) + [0] * len(x_out))
    folds = np.array(f_in + f_out)
    evidence_x = np.vstack([*x_in, *x_out]).astype(np.float32)
    full_x = np.hstack([evidence_x, np.vstack([*e_in, *out_vectors]).astype(np.float32)])
    print(
        f"gate data: {len(x_in)} in scope (fold and document views hidden), {len(x_out)} out of scope ({time.perf_counter() - started:.0f} s)"
    )

    def cross_validate(x: np.ndarray, c: float) -> np.ndarray:
        probabilities = np.zeros(len(y))
        for k in range(args.folds):
            train_rows, test_rows = folds != k, folds == k
            scaler = StandardScaler().fit(x[train_rows])
            model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=args.seed)
            model.fit(scaler.transform(x[train_rows]), y[train_rows])
            probabilities[test_rows] = model.predict_proba(scaler.transform(x[test_rows]))[:, 1]
        return probabilities

    # The threshold is set on the dev set (real questions by other writers, the set this project tunes on):
    # bank questions are easier than real ones, and a threshold set on them refuses too many real questions.
    dev = load_questions(DEV)
    dev_vectors = retriever.embedder.embed([q.text for q in dev])
    dev_x, dev_y = [], []
    for question, vector in zip(dev, dev_vectors, strict=True):
        analysis, signals, _, rows = groups_for(retriever, question.text, vector, None)
        scores = final.predict(rows, num_threads=2) if len(rows) else np.zeros(0)
        dev_x.append(evidence(retrieval_of(analysis, signals, vector, scores)))
        dev_y.append(int(question.in_scope))
    dev_evidence = np.vstack(dev_x).astype(np.float32)
    dev_full = np.hstack([dev_evidence, dev_vectors.astype(np.float32)])
    dev_in = np.array(dev_y) == 1

    def choose(x: np.ndarray, x_dev: np.ndarray, name: str) -> dict:
        best: dict | None = None
        for c in (0.001, 0.003, 0.01, 0.03, 0.1):
            p = cross_validate(x, c)
            scaler = StandardScaler().fit(x)
            model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=args.seed)
            model.fit(scaler.transform(x), y)
            p_dev = model.predict_proba(scaler.transform(x_dev))[:, 1]
            threshold = choose_threshold(p_dev[dev_in], p[y == 0])
            refused = float(np.mean(p[y == 0] <= threshold))
            wrong = float(np.mean(p[y == 1] <= threshold))
            dev_refused = float(np.mean(p_dev[~dev_in] <= threshold))
            dev_wrong = float(np.mean(p_dev[dev_in] <= threshold))
            print(
                f"  gate {name} C={c}: threshold {threshold:.3f}; out-of-fold: out-of-scope refused {refused:.1%}, "
                f"bank wrongly refused {wrong:.1%}; dev: out-of-scope refused {dev_refused:.1%}, "
                f"wrongly refused {dev_wrong:.1%}"
            )
            # Out-of-scope refusal is pinned by the threshold: prefer the model that wrongly refuses least.
            if best is None or (wrong, -refused) < (best["wrong"], -best["refused"]):
                best = {
                    "c": c,
                    "threshold": threshold,
                    "refused": refused,
                    "wrong": wrong,
                    "model": model,
                    "scaler": scaler,
                    "dev_refused": dev_refused,
                    "dev_wrong": dev_wrong,
                }
        assert best is not None
        scaler, model = best["scaler"], best["model"]
        return {
            "embedding": name == "full",
            "c": best["c"],
            "mean": [float(v) for v in scaler.mean_],
            "scale": [float(v) if v else 1.0 for v in scaler.scale_],
            "weights": [float(v) for v in model.coef_[0]],
            "bias": float(model.intercept_[0]),
            "threshold": best["threshold"],
            "cv": {
                "out_of_scope_refused": round(best["refused"], 4),
                "bank_wrongly_refused": round(best["wrong"], 4),
                "dev_out_of_scope_refused": round(best["dev_refused"], 4),
                "dev_wrongly_refused": round(best["dev_wrong"], 4),
            },
        }

    gate_full = choose(full_x, dev_full, "full")
    gate_evidence = choose(evidence_x, dev_evidence, "evidence")
    gate = {
        "model": retriever.embedder.fingerprint,
        "features": list(FEATURES),
        "evidence": list(EVIDENCE),
        "full": gate_full,
        "evidence_only": gate_evidence,
    }
    (DATA / "gate.json").write_text(json.dumps(gate, ensure_ascii=False) + "\n", encoding="utf-8")
    results = {
        "bank_questions": len(views),
        "articles": len(keys),
        "out_of_scope_questions": len(x_out),
        "gold_among_candidates": round(float(covered), 4),
        "ranker_oof": ranker_figures,
        "gate_full_cv": gate_full["cv"],
        "gate_evidence_cv": gate_evidence["cv"],
        "seconds": round(time.perf_counter() - started, 1),
    }
    out = ROOT / "bench" / "results" / "train_retrieval.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
