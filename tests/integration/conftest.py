"""A real PostgreSQL for the integration tests: a throwaway cluster on loopback, or a server you name.

``QINGFENG_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/qingfeng``) uses an
existing server; it must be on loopback, like everything the tests touch, and the database must exist,
be UTF8 and let the user create schemas. Otherwise ``initdb``/``pg_ctl``
are looked up in ``QINGFENG_TEST_PG_BIN``, then on PATH, then in ``/usr/lib/postgresql/*/bin`` and
``/usr/pgsql-*/bin``, and a cluster is started in a temporary folder for the session (as the ``postgres``
system user when running as root: the server refuses to run as root); a cluster left by a killed session
is removed by the next one. Without either the tests are skipped, saying why — or fail, when
``QINGFENG_TEST_REQUIRE_ENGINES`` is set (``test.sh`` sets it after installing PostgreSQL if it was missing).

A Chroma server (``chroma run`` of the installed chromadb) is started on a free loopback port for the session
in the same way (``chroma_url``).

Every test gets its own schema (``search_path`` in the URL), dropped afterwards, so the tests do not see
each other's tables and nothing else in a named server's database is touched.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from wiring.factory import build_engine
from wiring.settings import Settings, load_settings

REQUIRE_ENV = "QINGFENG_TEST_REQUIRE_ENGINES"  # set by test.sh: an engine that cannot start fails the tests
URL_ENV = "QINGFENG_TEST_POSTGRES_URL"
BIN_ENV = "QINGFENG_TEST_PG_BIN"
DATABASE = "qingfeng"
SERVER_USER = "postgres"
START_TIMEOUT = 60


def unavailable(reason: str) -> None:
    """Skip on a developer's machine without the engine; fail where the test command promised it (CI)."""
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{reason} (${REQUIRE_ENV} is set: the engine must be there)", pytrace=False)
    pytest.skip(reason)


def find_pg_bin() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, newest version first; None if absent."""

    def complete(folder: Path) -> bool:
        return all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres"))

    configured = os.environ.get(BIN_ENV)
    if configured:
        folder = Path(configured).expanduser()
        return folder if complete(folder) else None
    on_path = shutil.which("pg_ctl")
    if on_path and complete(Path(on_path).resolve().parent):
        return Path(on_path).resolve().parent
    candidates = [*Path("/usr/lib/postgresql").glob("*/bin"), *Path("/usr").glob("pgsql-*/bin")]

    def version(folder: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", folder.parent.name)) or (0,)

    for folder in sorted(candidates, key=version, reverse=True):
        if complete(folder):
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _require_loopback(url: URL) -> None:
    """Tests touch loopback only: refuse a named server elsewhere (a Unix socket is local too)."""
    host = url.host or url.query.get("host")
    if not host or str(host).startswith("/"):
        return
    try:
        address = ipaddress.ip_address(socket.gethostbyname(str(host)))
    except (OSError, ValueError):
        pytest.fail(f"{URL_ENV}: cannot resolve host {host!r}", pytrace=False)
    if not address.is_loopback:
        pytest.fail(
            f"{URL_ENV} must point at a loopback server (tests may only touch loopback)", pytrace=False
        )


def with_psycopg(url: URL) -> URL:
    """A bare ``postgresql://`` URL would ask SQLAlchemy for psycopg2: use psycopg 3 (the extra)."""
    return url.set(drivername="postgresql+psycopg") if url.drivername == "postgresql" else url


CLUSTER_PREFIX = "qingfeng-pg-"
OWNER_FILE = "owner.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    return True


def remove_abandoned_clusters(bin_dir: Path) -> None:
    """Stop and delete clusters of earlier sessions that were killed before their teardown ran."""
    for root in Path(tempfile.gettempdir()).glob(CLUSTER_PREFIX + "*"):
        try:
            owner = int((root / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # not (yet) one of ours: leave it
        if _alive(owner):
            continue  # another test session is using it
        cluster = Cluster(bin_dir, root)
        cluster.stop(mode="immediate")


class Cluster:
    """A throwaway PostgreSQL cluster in a temporary folder, on 127.0.0.1 and a private socket folder."""

    def __init__(self, bin_dir: Path, root: Path | None = None) -> None:
        self.bin_dir = bin_dir
        self.as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        # Not under pytest's tmp dir: as root that is private to root, and the server runs as postgres.
        self.root = root or Path(tempfile.mkdtemp(prefix=CLUSTER_PREFIX))
        if root is None:
            (self.root / OWNER_FILE).write_text(str(os.getpid()))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "server.log"
        self.port = 0

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> None:
        if self.as_root:
            import pwd

            try:
                account = pwd.getpwnam(SERVER_USER)
            except KeyError:
                unavailable(f"running as root and there is no {SERVER_USER!r} user to run PostgreSQL as")
            if shutil.which("runuser") is None:
                unavailable("running as root and runuser is missing: cannot start PostgreSQL as postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.sockets.mkdir()
        if self.as_root:
            os.chown(self.sockets, account.pw_uid, account.pw_gid)
        made = self.run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            SERVER_USER,
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        if made.returncode:
            raise RuntimeError(f"initdb failed:\n{made.stdout}\n{made.stderr}")
        for _ in range(5):  # another process may take the free port before the server does
            self.port = _free_port()
            options = (
                f"-k {self.sockets} -p {self.port} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            started = self.run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                str(START_TIMEOUT),
                "start",
            )
            if started.returncode == 0:
                return
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        raise RuntimeError(f"PostgreSQL did not start:\n{self.server_log()}")

    def server_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> URL:
        return URL.create(
            "postgresql+psycopg", username=SERVER_USER, host="127.0.0.1", port=self.port, database=database
        )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The SQLAlchemy URL of an empty-to-start database on a real PostgreSQL (skips if there is none)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed: pip install -e '.[postgres]'")
    named = os.environ.get(URL_ENV)
    if named:
        url = with_psycopg(make_url(named))
        _require_loopback(url)
        yield url.render_as_string(hide_password=False)
        return
    bin_dir = find_pg_bin()
    if bin_dir is None and os.environ.get(BIN_ENV):
        pytest.fail(f"${BIN_ENV}={os.environ[BIN_ENV]} holds no initdb, pg_ctl and postgres", pytrace=False)
    if bin_dir is None:
        unavailable(
            f"no PostgreSQL server binaries (initdb, pg_ctl, postgres) in ${BIN_ENV}, on PATH or in "
            f"/usr/lib/postgresql/*/bin, and ${URL_ENV} is not set"
        )
    remove_abandoned_clusters(bin_dir)
    cluster = Cluster(bin_dir)
    try:
        cluster.start()
        admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {DATABASE}"))
        admin.dispose()
        yield cluster.url(DATABASE).render_as_string(hide_password=False)
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    """A URL whose connections work in a fresh schema of their own, dropped when the test ends."""
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        deadline = time.monotonic() + 30
        while True:
            try:
                with admin.connect() as conn:
                    conn.execute(text("SET lock_timeout = '5s'"))
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        admin.dispose()


@pytest.fixture
def pg_settings(tmp_path: Path, pg_url: str) -> Settings:
    """Settings as an operator would write them: a data dir and QINGFENG_DATABASE_URL."""
    return load_settings({"data_dir": tmp_path, "database_url": pg_url})


@pytest.fixture
def pg_engine(pg_settings: Settings) -> Iterator[Engine]:
    """The engine the bot builds from those settings (wiring.factory.build_engine)."""
    engine = build_engine(pg_settings)
    assert engine.dialect.name == "postgresql"
    yield engine
    with contextlib.suppress(Exception):
        engine.dispose()


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (the installed chromadb's ``chroma run``) on a free loopback port."""
    import sys
    import urllib.request

    executable = Path(sys.executable).with_name("chroma")
    if not executable.is_file():
        unavailable(f"no chroma command beside {sys.executable} (pip install chromadb)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path_factory.mktemp("chroma")
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [str(executable), "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if server.poll() is not None:
                unavailable(
                    f"chroma run exited with {server.returncode}: {(folder / 'server.log').read_text()[-500:]}"
                )
            try:
                with direct.open(f"{url}/api/v2/heartbeat", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                unavailable(f"chroma run did not answer on {url} within {START_TIMEOUT} s")
            time.sleep(0.2)  # polling for the server to come up, not waiting for something not to happen
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
