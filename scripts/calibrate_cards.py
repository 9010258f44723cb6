"""Choose when a situation card is taken (knowledge.card_matcher.MatchConfig), on development data only.

Usage: .venv/bin/python scripts/calibrate_cards.py [--data-dir DIR]   (an index built by `qingfeng ingest`)

Right matches: each card phrasing, held out in turn, must find a card that gives its answer (its own card, or
one with the same verdict sharing a cited article) among the remaining phrasings (leave-one-out), with the
articles retrieval ranks for it. Wrong matches: a development question (tests/knowledge/data/dev_questions.jsonl)
whose correct articles share nothing with the card it matched, and any match for an out-of-scope question
(knowledge/data/out_of_scope) that the gate refused. The frozen verdict set is never read.
Prints recall and wrong-match rates over a grid, and the setting with the best recall whose wrong-match rate
(a card with another verdict) on held-out phrasings stays within 2% and on out-of-scope questions within 1%.
Leave-one-out flatters low thresholds; knowledge.card_matcher.MatchConfig says what was shipped and why.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from knowledge.card_matcher import CardMatcher, MatchConfig  # noqa: E402
from knowledge.cards import load_cards  # noqa: E402
from knowledge.verdict import question_form  # noqa: E402
from wiring.factory import build_knowledge  # noqa: E402
from wiring.settings import load_settings  # noqa: E402

DEV = ROOT / "tests" / "knowledge" / "data" / "dev_questions.jsonl"
OUT_OF_SCOPE = ROOT / "knowledge" / "data" / "out_of_scope"


def main() -> int:
    """Print the grid and the chosen setting."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    service = build_knowledge(load_settings({"data_dir": args.data_dir} if args.data_dir else {}))
    service.warm()
    cards = load_cards()
    matcher = CardMatcher(cards, service.retriever.embedder)
    matcher.prepare()
    matrix = matcher._matrix
    assert matrix is not None
    owner = np.array([i for i, c in enumerate(cards) for _ in c.questions])
    cited = [{(c.doc, c.article) for c in card.citations} for card in cards]

    def evidence(question: str) -> tuple[np.ndarray, list[tuple[str, str]], bool, str | None]:
        retrieval = service.retriever.retrieve(question, k=10)
        keys = [h.chunk.key for h in retrieval.hits]
        return retrieval.vector, keys, service.gate.decide(retrieval).answer, question_form(question)

    def per_card(
        sims: np.ndarray, form: str | None, question: str, skip: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if skip is not None:
            sims = sims.copy()
            sims[skip] = -1.0
        return matcher.candidates(sims, form, question)

    phrasings = [q for c in cards for q in c.questions]
    loo = []
    for i, text in enumerate(phrasings):
        vector, keys, answered, form = evidence(text)
        loo.append((per_card(matrix @ vector, form, text, skip=i), keys, answered, form, int(owner[i])))
    dev_rows = [json.loads(line) for line in DEV.read_text("utf-8").splitlines() if line.strip()]
    dev = []
    for row in dev_rows:
        vector, keys, answered, form = evidence(row["q"])
        gold = {(g["source"], g["article"]) for g in row.get("gold", [])}
        dev.append((per_card(matrix @ vector, form, row["q"]), keys, answered, form, gold))
    oos_texts = [
        line.strip()
        for path in sorted(OUT_OF_SCOPE.glob("*.txt"))
        for line in path.read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    oos = []
    for text in oos_texts:
        vector, keys, answered, form = evidence(text)
        oos.append((per_card(matrix @ vector, form, text), keys, answered, form))

    def take(
        scores: tuple[np.ndarray, np.ndarray],
        keys: list[tuple[str, str]],
        answered: bool,
        form: str | None,
        config: MatchConfig,
    ) -> int | None:
        best, rivals = scores
        found = matcher.decide(best, keys, config, form, rivals)
        if found is None:
            return None
        card, score, _ = found
        # A question the gate refused gets a card only when the card is sure of itself.
        return card if answered or score >= config.sure else None

    chosen = None
    print("accept sure margin | loo right, wrong-verdict | dev taken, wrong | oos taken")
    for accept, sure, margin in itertools.product(
        (0.78, 0.80, 0.82, 0.84, 0.86, 0.88), (0.90, 0.92, 0.94, 0.96), (0.0, 0.01, 0.02, 0.04)
    ):
        config = MatchConfig(accept=accept, sure=sure, margin=margin)
        right = wrong_verdict = 0
        for best, keys, answered, form, own in loo:
            t = take(best, keys, answered, form, config)
            if t is None:
                continue
            same = t == own or (cards[t].verdict == cards[own].verdict and cited[t] & cited[own])
            right += bool(same)
            wrong_verdict += cards[t].verdict != cards[own].verdict
        taken_dev = [(take(b, k, a, f, config), g) for b, k, a, f, g in dev if g]
        wrong = sum(t is not None and not (cited[t] & g) for t, g in taken_dev)
        taken = sum(t is not None for t, _ in taken_dev)
        false_oos = sum(take(b, k, a, f, config) is not None for b, k, a, f in oos)
        n_dev = len(taken_dev)
        recall = right / len(loo)
        print(
            f"{accept:.2f} {sure:.2f} {margin:.2f} | {recall:.3f}, {wrong_verdict / len(loo):.3f} | "
            f"{taken}/{n_dev}, {wrong} ({wrong / n_dev:.1%}) | {false_oos}/{len(oos)} ({false_oos / len(oos):.1%})"
        )
        fits = wrong_verdict / len(loo) <= 0.02 and false_oos / len(oos) <= 0.01
        if fits and (chosen is None or recall > chosen[0]):
            chosen = (recall, accept, sure, margin, wrong_verdict / len(loo), taken, wrong, false_oos)
    print("chosen (recall, accept, sure, margin, loo wrong verdict, dev taken, dev wrong, oos):", chosen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
