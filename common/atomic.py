"""Files that are either whole or absent: written beside their final name, then renamed over it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader (or a crash) never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def publish_folder(final: Path, fill: Callable[[Path], None]) -> None:
    """Have ``fill`` create a new folder beside ``final``, then rename it to ``final`` (never half of one)."""
    # A run killed halfway leaves only a partial-* scratch folder, never something under the final name to reuse.
    scratch = Path(tempfile.mkdtemp(dir=final.parent, prefix="partial-"))
    try:
        fill(scratch / "new")
        os.replace(scratch / "new", final)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
