"""The BM25 token cache: the tokenizer's exact output, reused only for the same texts and the same tokenizer."""

from __future__ import annotations

import functools
from pathlib import Path

from knowledge.token_cache import TokenCache
from knowledge.tokenizer import Tokenizer

TEXTS = ["公务用车管理办法 第十条 严禁公车私用", "逢年过节收受礼品礼金", "", "ABC 第３条"]


class CountingTokenizer(Tokenizer):
    """The real tokenizer, counting the texts it had to tokenize."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.calls = 0

    def tokens(self, text: str) -> list[str]:
        self.calls += 1
        return super().tokens(text)


@functools.cache
def reference() -> Tokenizer:
    return Tokenizer()


def expected(texts: list[str]) -> list[list[str]]:
    return [reference().tokens(t) for t in texts]


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("tokens-*.json"))


def test_a_second_start_reads_the_same_tokens_back(tmp_path: Path) -> None:
    first, second = CountingTokenizer(), CountingTokenizer()
    made = TokenCache(tmp_path).tokens(first, TEXTS)
    assert made == expected(TEXTS) and first.calls == len(TEXTS)
    assert made[2] == [] and len(files(tmp_path)) == 1
    assert TokenCache(tmp_path).tokens(second, TEXTS) == made
    assert second.calls == 0


def test_changed_texts_are_tokenized_again_and_the_old_file_goes(tmp_path: Path) -> None:
    TokenCache(tmp_path).tokens(Tokenizer(), TEXTS)
    old = files(tmp_path)
    tokenizer = CountingTokenizer()
    changed = [*TEXTS[:-1], "ABC 第４条"]
    assert TokenCache(tmp_path).tokens(tokenizer, changed) == expected(changed)
    assert tokenizer.calls == len(changed)
    assert len(files(tmp_path)) == 1 and files(tmp_path) != old


def test_another_dictionary_is_another_tokenizer(tmp_path: Path) -> None:
    TokenCache(tmp_path).tokens(Tokenizer(), TEXTS)
    extra = tmp_path / "words.txt"
    extra.write_text("私用严禁 100\n", encoding="utf-8")
    other = CountingTokenizer((extra,))
    assert other.fingerprint != Tokenizer().fingerprint
    TokenCache(tmp_path).tokens(other, TEXTS)
    assert other.calls == len(TEXTS)


def test_a_damaged_file_is_ignored_and_replaced(tmp_path: Path) -> None:
    TokenCache(tmp_path).tokens(Tokenizer(), TEXTS)
    (path,) = tmp_path.glob("tokens-*.json")
    for damage in (b'["only one"]', b"{not json", b'{"a": 1}'):
        path.write_bytes(damage)
        tokenizer = CountingTokenizer()
        assert TokenCache(tmp_path).tokens(tokenizer, TEXTS) == expected(TEXTS)
        assert tokenizer.calls == len(TEXTS)


def test_a_folder_that_cannot_be_written_only_costs_time(tmp_path: Path) -> None:
    blocked = tmp_path / "index"
    blocked.write_text("a file where the folder should be")
    assert TokenCache(blocked).tokens(Tokenizer(), TEXTS) == expected(TEXTS)


def test_a_missing_folder_is_created_and_no_folder_means_no_cache(tmp_path: Path) -> None:
    TokenCache(tmp_path / "index").tokens(Tokenizer(), TEXTS)
    assert len(files(tmp_path / "index")) == 1
    tokenizer = CountingTokenizer()
    TokenCache(None).tokens(tokenizer, TEXTS)
    TokenCache(None).tokens(tokenizer, TEXTS)
    assert tokenizer.calls == 2 * len(TEXTS)
