"""Query understanding from data files: colloquial-to-regulation synonyms and question intents."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cached_property

from knowledge.tokenizer import DATA, normalize


@dataclass(frozen=True)
class Expansion:
    """What the expander found in a question."""

    terms: tuple[str, ...]  # regulation wording to add to the query
    matched: tuple[str, ...]  # the colloquial phrases that triggered them
    consequence: bool  # the question asks what happens (处分/判刑/怎么处理)


class QueryExpander:
    """Maps everyday wording (公车, 红包, 吃请) onto the words regulations use."""

    def __init__(
        self,
        synonyms_text: str | None = None,
        intents_text: str | None = None,
    ) -> None:
        self._synonyms_text = synonyms_text
        self._intents_text = intents_text

    @cached_property
    def synonyms(self) -> list[tuple[str, tuple[str, ...]]]:
        """(colloquial phrase, regulation terms), longest phrase first."""
        text = self._synonyms_text or (DATA / "synonyms.tsv").read_text(encoding="utf-8")
        merged: dict[str, list[str]] = {}
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            phrase, _, targets = line.partition("\t")
            terms = [t for t in re.split(r"[\s,，]+", targets) if t]
            for variant in phrase.split("|") if terms else ():
                known = merged.setdefault(normalize(variant), [])
                known.extend(t for t in terms if t not in known)
        return sorted(((p, tuple(t)) for p, t in merged.items() if p), key=lambda pair: -len(pair[0]))

    @cached_property
    def _intents(self) -> dict[str, list[str]]:
        text = self._intents_text or (DATA / "intents.toml").read_text(encoding="utf-8")
        data = tomllib.loads(text)
        return {name: [normalize(c) for c in entry.get("cues", [])] for name, entry in data.items()}

    @cached_property
    def penalty_pattern(self) -> re.Pattern[str]:
        """Recognises an article that sets a penalty (处分, 刑罚)."""
        text = self._intents_text or (DATA / "intents.toml").read_text(encoding="utf-8")
        return re.compile(tomllib.loads(text)["consequence"]["penalty_pattern"])

    def expand(self, question: str) -> Expansion:
        """Find synonyms and intents in ``question``."""
        q = normalize(question)
        terms: list[str] = []
        matched: list[str] = []
        covered = [False] * len(q)
        for phrase, targets in self.synonyms:
            start = q.find(phrase)
            while start != -1:
                # A phrase inside a longer phrase already matched adds nothing new.
                if not all(covered[start : start + len(phrase)]):
                    for i in range(start, start + len(phrase)):
                        covered[i] = True
                    matched.append(phrase)
                    terms.extend(t for t in targets if t not in terms)
                    break
                start = q.find(phrase, start + 1)
        consequence = any(cue in q for cue in self._intents.get("consequence", []))
        return Expansion(
            terms=tuple(terms),
            matched=tuple(matched),
            consequence=consequence,
        )
