"""The ``qingfeng`` command run in this process, as a user would type it: exit code, stdout, stderr."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from cli.main import Env, main
from wiring.settings import load_settings


@dataclass(frozen=True)
class Result:
    """What the command did."""

    returncode: int
    stdout: str
    stderr: str


def invoke(
    args: Sequence[str],
    env: Env | None = None,
    data_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    stdin: str = "",
) -> Result:
    """Run ``qingfeng ARGS``; settings from ``env`` or ``data_dir`` (plain values, no QINGFENG_* variables)."""
    if env is None:
        assert data_dir is not None
        env = Env(load=lambda: load_settings({"data_dir": data_dir}))
    out, err = io.StringIO(), io.StringIO()
    umask = os.umask(0o022)  # main() makes everything private to the account; give the test its own back
    os.umask(umask)
    try:
        with (
            mock.patch.dict(os.environ, dict(environ or {})),
            mock.patch("sys.stdin", io.StringIO(stdin)),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = main(list(args), env)
    finally:
        os.umask(umask)
    return Result(code, out.getvalue(), err.getvalue())
