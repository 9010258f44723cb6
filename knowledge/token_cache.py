"""The BM25 terms of every indexed text, kept beside the index: jieba takes ~3 s over the corpus at every start."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from common.atomic import write_atomically
from knowledge.tokenizer import Tokenizer

log = logging.getLogger(__name__)

PREFIX = "tokens-"
SEPARATOR = "\x1f"  # the unit separator: never inside a term (terms hold letters or digits, never controls)


class TokenCache:
    """Token lists for a list of texts, loaded from ``folder`` when the same texts were tokenized the same way.

    The file is named by a digest of the tokenizer's fingerprint and every text, so a changed corpus, dictionary or
    jieba release misses and is tokenized again; other token files in the folder are then removed. A folder that
    cannot be written only costs the time.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def tokens(self, tokenizer: Tokenizer, texts: Sequence[str]) -> list[list[str]]:
        """``tokenizer.tokens(t)`` for each text, from the cache when it holds exactly these."""
        path = self._path(tokenizer, texts)
        cached = _load(path, len(texts)) if path is not None else None
        if cached is not None:
            return cached
        result = [tokenizer.tokens(text) for text in texts]
        if path is not None and not any(SEPARATOR in term for terms in result for term in terms):
            self._store(path, result)
        return result

    def _path(self, tokenizer: Tokenizer, texts: Sequence[str]) -> Path | None:
        if self.folder is None:
            return None
        digest = hashlib.sha256(tokenizer.fingerprint.encode())
        for text in texts:
            digest.update(b"\0" + text.encode("utf-8", "surrogatepass"))
        return self.folder / f"{PREFIX}{digest.hexdigest()[:24]}.json"

    def _store(self, path: Path, result: list[list[str]]) -> None:
        data = json.dumps([SEPARATOR.join(terms) for terms in result], ensure_ascii=False)
        try:
            write_atomically(path, data.encode("utf-8"))
            for old in path.parent.glob(f"{PREFIX}*.json"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as exc:  # e.g. a read-only data dir: the next start tokenizes again
            log.warning("could not keep the token cache in %s: %s", path.parent, exc)


def _load(path: Path, count: int) -> list[list[str]] | None:
    try:
        rows = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring an unreadable token cache %s: %s", path.name, exc)
        return None
    if not isinstance(rows, list) or len(rows) != count or not all(isinstance(r, str) for r in rows):
        log.warning("ignoring a token cache of the wrong shape: %s", path.name)
        return None
    return [row.split(SEPARATOR) if row else [] for row in rows]
