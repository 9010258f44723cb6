"""The document catalog (documents.toml) and the folders that make up the library."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from knowledge.errors import DocumentError, KnowledgeError
from knowledge.loaders import SUPPORTED_SUFFIXES
from knowledge.model import DocumentInfo

CATALOG_FILE = "documents.toml"
ALIASES_DIR = "aliases"
QUESTIONS_DIR = "questions"
DATA_DIRS = frozenset({ALIASES_DIR, QUESTIONS_DIR})  # folders of per-document data, not documents


def default_corpus_dir() -> Path:
    """The bundled regulation texts shipped inside the package."""
    return Path(str(resources.files("knowledge") / "corpus"))


@dataclass(frozen=True)
class Catalog:
    """What a folder's documents.toml says: files to skip and per-document metadata."""

    exclude: frozenset[str] = frozenset()
    documents: dict[str, DocumentInfo] = field(default_factory=dict)

    def info(self, name: str) -> DocumentInfo:
        """Metadata for the file ``name``, neutral when the catalog does not list it."""
        return self.documents.get(name, DocumentInfo())


def load_catalog(folder: Path) -> Catalog:
    """Read ``folder/documents.toml`` if it exists."""
    path = folder / CATALOG_FILE
    if not path.is_file():
        return Catalog()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path}: invalid catalog ({exc})") from exc
    documents = {
        name: DocumentInfo(
            status=str(entry.get("status", "current")),
            note=str(entry.get("note", "")),
            weight=float(entry.get("weight", 1.0)),
            short_names=tuple(str(n) for n in entry.get("short_names", [])),
        )
        for name, entry in data.get("documents", {}).items()
    }
    return Catalog(exclude=frozenset(data.get("exclude", [])), documents=documents)


def load_aliases(path: Path) -> dict[str, str]:
    """Read an aliases file: ``article<TAB>everyday phrases`` per line."""
    aliases: dict[str, str] = {}
    if not path.is_file():
        return aliases
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        article, _, phrases = line.partition("\t")
        article = article.strip()
        aliases[article] = " ".join(filter(None, [aliases.get(article, ""), phrases.strip()]))
    return aliases


def load_bank(path: Path) -> dict[str, tuple[str, ...]]:
    """Read a question-bank file: ``article<TAB>question`` per line; duplicates dropped."""
    bank: dict[str, list[str]] = {}
    if not path.is_file():
        return {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        article, _, question = line.partition("\t")
        article, question = article.strip(), question.strip()
        if article and question and question not in bank.setdefault(article, []):
            bank[article].append(question)
    return {article: tuple(questions) for article, questions in bank.items()}


def library_files(folder: Path) -> list[tuple[Path, DocumentInfo]]:
    """Every document file under ``folder`` (recursively) with its catalog metadata, sorted by path."""
    if not folder.is_dir():
        return []
    catalog = load_catalog(folder)
    found: list[tuple[Path, DocumentInfo]] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name == CATALOG_FILE or path.name in catalog.exclude:
            continue
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or relative.parts[0] in DATA_DIRS:
            continue
        info = replace(
            catalog.info(path.name),
            aliases=load_aliases(folder / ALIASES_DIR / f"{path.stem}.tsv"),
            questions=load_bank(folder / QUESTIONS_DIR / f"{path.stem}.tsv"),
        )
        found.append((path, info))
    return found


def is_supported(path: Path) -> bool:
    """Whether Qingfeng has a loader for this file type."""
    return path.suffix.lower() in SUPPORTED_SUFFIXES


@dataclass(frozen=True)
class Added:
    """What ``add_to_library`` did: the files copied in, and the ones refused with why."""

    names: list[str]
    errors: list[DocumentError]


def add_to_library(paths: list[Path], library: Path) -> Added:
    """Check that each given file (or each supported file under a given folder) loads, then copy it in."""
    import shutil

    from knowledge.errors import UnsupportedDocument
    from knowledge.loaders import load_document

    errors: list[DocumentError] = []
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and is_supported(p))
        elif path.is_file():
            files.append(path)
        else:
            errors.append(DocumentError(path, "no such file or folder"))
    library.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    for path in files:
        if not is_supported(path):
            errors.append(UnsupportedDocument(path, f"unsupported file type {path.suffix or '(none)'}"))
            continue
        try:
            load_document(path)
        except DocumentError as exc:
            errors.append(exc)
            continue
        target = library / path.name
        if path.resolve() != target.resolve():
            shutil.copy2(path, target)
        names.append(path.name)
    return Added(names, errors)
