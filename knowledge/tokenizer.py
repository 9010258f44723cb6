"""Chinese tokenization for BM25: jieba with the domain user dictionary, minus stop words."""

from __future__ import annotations

import hashlib
import logging
import threading
import unicodedata
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

DATA = resources.files("knowledge") / "data"
# Raise when tokens() changes in a way its inputs below do not show: cached token lists are keyed by the fingerprint.
TOKENIZER_VERSION = 1


def normalize(text: str) -> str:
    """Fold full-width letters and digits to ASCII, lower-case, and trim."""
    return unicodedata.normalize("NFKC", text).lower().strip()


def _read_lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


class Tokenizer:
    """A jieba tokenizer of its own (not jieba's global one) with Qingfeng's dictionary loaded."""

    def __init__(self, extra_userdicts: tuple[Path, ...] = ()) -> None:
        self._extra = extra_userdicts
        self._jieba: Any = None
        self._lock = threading.Lock()
        self.stopwords = frozenset(_read_lines("stopwords.txt"))

    @cached_property
    def fingerprint(self) -> str:
        """What tokens() depends on: this code's version, jieba's, the dictionaries, the stop words, Unicode's."""
        from importlib.metadata import version

        digest = hashlib.sha256()
        for part in (str(TOKENIZER_VERSION), version("jieba"), unicodedata.unidata_version):
            digest.update(part.encode() + b"\0")
        for name in ("userdict.txt", "stopwords.txt"):
            digest.update((DATA / name).read_bytes() + b"\0")
        for path in self._extra:
            digest.update(path.read_bytes() + b"\0")
        return digest.hexdigest()[:24]

    def _engine(self) -> Any:
        # jieba builds its prefix dictionary on first use (~1 s): do it lazily, once.
        with self._lock:
            if self._jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                engine = jieba.Tokenizer()
                engine.initialize()
                for line in _read_lines("userdict.txt"):
                    word, *rest = line.split()
                    freq = int(rest[0]) if rest and rest[0].isdigit() else None
                    engine.add_word(word, freq=freq)
                for path in self._extra:
                    engine.load_userdict(str(path))
                self._jieba = engine
        return self._jieba

    def words(self, text: str) -> list[str]:
        """Segment ``text`` into words (search mode: long words also yield their parts)."""
        engine = self._engine()
        return [w for w in engine.cut_for_search(normalize(text)) if w.strip()]

    def tokens(self, text: str) -> list[str]:
        """The BM25 terms of ``text``: words without stop words and punctuation."""
        return [w for w in self.words(text) if w not in self.stopwords and _is_term(w)]


def _is_term(word: str) -> bool:
    return any(ch.isalnum() for ch in word)
