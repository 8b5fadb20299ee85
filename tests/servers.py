"""Pytest fixtures that start real servers: a throwaway PostgreSQL and a headless Chromium.

Some behaviour can only be tested against the real thing: SQL that SQLite accepts but PostgreSQL
rejects (or the other way round), transactions that two connections observe, a rendered page that
a user clicks. These fixtures start such servers from the Debian packages of the machine, so that
the tests need neither Docker nor network access, and remove every trace of them afterwards.

Fixtures
--------
postgres_url : session
    Starts a private PostgreSQL cluster (``initdb`` + ``pg_ctl``) from Debian's ``postgresql``
    package in a fresh directory under ``/tmp``, listening on a free TCP port of ``127.0.0.1`` and
    on a Unix socket in that directory only; authentication is ``trust``. Durability settings are
    the defaults (``fsync`` stays on), so commits behave as in production. Yields the SQLAlchemy
    URL ``postgresql+psycopg://postgres@127.0.0.1:<port>/riskbook_test`` of an empty database.
    At the end of the session the server is stopped (``pg_ctl stop -m fast``) and its directory
    removed. PostgreSQL refuses to run as root, so under root the server programs run as the
    ``postgres`` system user that the Debian package creates.
postgres_db : function
    A fresh, empty database ``t_<random>`` on that server for one test; yields its URL and drops
    it afterwards (also when connections to it are still open).
browser : module
    Playwright's sync API driving the system Chromium (``/usr/bin/chromium``, Debian package
    ``chromium``) headless. Playwright's own browser download is never used. Yields a
    :class:`playwright.sync_api.Browser`; closes it and stops Playwright at the end.
page : function
    A new browser context and page for one test, closed afterwards, so that cookies and storage
    do not leak from one test to the next.

Missing system packages skip the tests that need them, with the reason (``make setup`` installs
them); any other failure to start a server fails those tests with the server's own error.

Notes
-----
While Playwright is alive, its event loop counts as *running* in the main
thread between sync calls (that is how the sync API works). ``asyncio.run()`` then raises
"cannot be called from a running event loop", and ``jupyter_core.utils.run_sync`` moves its work
to a background thread. The fixture is therefore module-scoped: Playwright stops when the module
that used it ends, before any other test module runs.
The sync API itself must not be used inside a running asyncio loop (e.g. in an async test).
"""
from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

DATABASE = "riskbook_test"
SUPERUSER = "postgres"
_SETUP_HINT = "install Debian's postgresql package (make setup does it)"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# A background ``apt-get install chromium`` started by hand may still be running; its log ends in "done".
_APT_CHROMIUM_LOG = Path("/tmp/apt_chromium.log")
_CHROMIUM_WAIT = 300.0


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


def _has_server_programs(bindir: str | os.PathLike) -> bool:
    return all(os.access(Path(bindir) / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres"))


def postgres_bindir() -> Path | None:
    """The directory of ``initdb``/``pg_ctl``/``postgres``: ``pg_config --bindir`` if it holds
    them (Debian's libpq-dev ``pg_config`` may answer ``/usr/bin``, which does not), else the
    newest ``/usr/lib/postgresql/<version>/bin``."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            candidate = out.stdout.strip()
            if out.returncode == 0 and candidate and _has_server_programs(candidate):
                return Path(candidate)
        except (OSError, subprocess.SubprocessError):
            pass

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(part) for part in name.split(".") if part.isdigit()) or (0,)

    found = [p for p in glob.glob("/usr/lib/postgresql/*/bin") if _has_server_programs(p)]
    return Path(max(found, key=version)) if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_in_thread(app, log_level: str = "critical"):
    """Run an ASGI ``app`` on uvicorn in a thread on a free loopback port; yields its base URL and stops it
    on leaving (the service tests' real HTTP server)."""
    import uvicorn  # only the service tests need it

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # generous: a busy CI machine
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class PostgresServer:
    """One private cluster: ``initdb``, ``start``, ``stop``; run as ``postgres`` under root."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="riskbook-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port: int | None = None
        self._as: dict = {}
        if os.geteuid() == 0:
            account = pwd.getpwnam(SUPERUSER)  # checked by the caller
            # mkdtemp made the directory 0700 for root; the server must own it.
            os.chown(self.root, account.pw_uid, account.pw_gid)
            # Same as ``runuser -u postgres --``, without needing that program.
            self._as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        # cwd inside our directory: the server user may not be allowed to enter the caller's.
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "HOME": str(self.root)}
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]], cwd=self.root, env=env,
            capture_output=True, text=True, timeout=timeout, **self._as,
        )

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def initdb(self) -> None:
        done = self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", SUPERUSER,
                         "--encoding=UTF8", "--no-sync")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        # Appending keeps the file's owner (postgres). TCP on loopback only; the socket goes into
        # our own directory rather than /var/run/postgresql. fsync etc. stay at their defaults.
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                "\n# riskbook test server\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
            )

    def start(self, attempts: int = 3) -> None:
        """Start on a free port; another process may grab the port in between, so retry."""
        for attempt in range(1, attempts + 1):
            port = _free_port()
            done = self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log),
                             "-w", "-t", "60", "-o", f"-p {port}", timeout=90)
            if done.returncode == 0:
                self.port = port
                return
            log = self._log_tail()
            if attempt == attempts or "could not bind" not in log:
                raise RuntimeError(f"pg_ctl start failed ({done.returncode}):\n"
                                   f"{done.stdout}\n{done.stderr}\n--- server log ---\n{log}")

    def stop(self) -> None:
        """Stop the server (fast shutdown; kill it if that does not work) and remove the files."""
        try:
            if (self.data / "postmaster.pid").exists():
                try:
                    done = self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast",
                                     "-w", "-t", "60", timeout=90)
                    stopped = done.returncode == 0
                except subprocess.TimeoutExpired:
                    stopped = False
                if not stopped:
                    self._kill_postmaster()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _kill_postmaster(self) -> None:
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        for sig in (signal.SIGQUIT, signal.SIGKILL):  # SIGQUIT: immediate shutdown
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            for _ in range(50):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.1)

    def connect(self, dbname: str = "postgres"):
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=dbname,
                               autocommit=True, connect_timeout=10)

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"


@pytest.fixture(scope="session")
def postgres_url():
    """SQLAlchemy URL of the empty database ``riskbook_test`` on a private PostgreSQL server
    started for this session (see the module docstring)."""
    pytest.importorskip("psycopg", reason="psycopg (3) is needed to talk to the PostgreSQL test server")
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip(f"PostgreSQL server programs (initdb, pg_ctl) not found: {_SETUP_HINT}")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            pytest.skip(f"running as root, but there is no '{SUPERUSER}' system user to run "
                        f"PostgreSQL as: {_SETUP_HINT}")

    server = PostgresServer(bindir)
    try:
        server.initdb()
        server.start()
        with server.connect() as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    except Exception as exc:
        server.stop()
        pytest.fail(f"could not start the PostgreSQL test server: {exc}", pytrace=False)
    try:
        yield server.url(DATABASE)
    finally:
        server.stop()


@pytest.fixture
def postgres_db(postgres_url):
    """URL of a fresh database ``t_<random>`` on the session's PostgreSQL server, dropped after
    the test even if connections to it are still open."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(postgres_url)
    name = f"t_{secrets.token_hex(6)}"

    def admin():
        return psycopg.connect(host=base.host, port=base.port, user=base.username,
                               dbname="postgres", autocommit=True, connect_timeout=10)

    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin() as conn:
            if conn.info.server_version >= 130000:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            else:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


# --------------------------------------------------------------------------------------------
# Chromium via Playwright
# --------------------------------------------------------------------------------------------


def _apt_still_installing() -> bool:
    try:
        lines = _APT_CHROMIUM_LOG.read_text(errors="replace").strip().splitlines()
    except OSError:
        return False  # no background installation going on
    return not lines or lines[-1].strip() != "done"


def _chromium_executable() -> str | None:
    """``/usr/bin/chromium``; while a background ``apt-get install chromium`` is still running,
    wait for it up to five minutes."""
    deadline = time.monotonic() + _CHROMIUM_WAIT
    while not os.access(CHROMIUM, os.X_OK) and _apt_still_installing() and time.monotonic() < deadline:
        time.sleep(2)
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def browser():
    """The system Chromium, headless, driven by Playwright's sync API for one test module (module scope:
    while Playwright's sync API is alive the main thread counts as running an event loop, see Notes)."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is needed for browser tests")
    executable = _chromium_executable()
    if executable is None:
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package (make setup does it)")

    playwright = None
    try:
        playwright = sync_api.sync_playwright().start()
        instance = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=CHROMIUM_ARGS)
    except Exception as exc:
        if playwright is not None:
            playwright.stop()
        pytest.fail(f"could not launch {executable} with Playwright: {exc}", pytrace=False)
    try:
        yield instance
    finally:
        try:
            instance.close()
        finally:
            playwright.stop()


@pytest.fixture
def page(browser):
    """A page in a new, isolated browser context; the context is closed after the test."""
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()
