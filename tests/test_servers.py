"""The real-server fixtures of tests/servers.py: PostgreSQL and headless Chromium actually work."""
from __future__ import annotations

import functools
import http.server
import threading

import pytest


def test_postgres_is_a_real_server_with_shared_commits(postgres_db):
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_db)
    try:
        with engine.connect() as first, engine.connect() as second:
            assert "PostgreSQL" in first.execute(text("SELECT version()")).scalar_one()
            first.execute(text("CREATE TABLE limits (customer text PRIMARY KEY, amount numeric)"))
            first.execute(text("INSERT INTO limits VALUES ('ACME', 25000)"))
            first.commit()
            # A second session of the server sees the first one's committed row ...
            assert second.execute(text("SELECT amount FROM limits WHERE customer = 'ACME'")).scalar_one() == 25000
            second.rollback()
            # ... but not an uncommitted one (READ COMMITTED isolation, impossible with in-memory SQLite).
            first.execute(text("INSERT INTO limits VALUES ('Bolt', 100)"))
            assert second.execute(text("SELECT count(*) FROM limits")).scalar_one() == 1
            first.commit()
            assert second.execute(text("SELECT count(*) FROM limits")).scalar_one() == 2
            assert first.execute(text("SELECT current_database()")).scalar_one() == engine.url.database
    finally:
        engine.dispose()


PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>riskbook fixture</title></head>
<body>
  <p id="status">pending</p>
  <button id="approve" onclick="document.getElementById('status').textContent = 'approved'">Approve</button>
</body></html>
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def site(tmp_path):
    """``http://127.0.0.1:<port>/`` serving a one-button page from ``tmp_path``."""
    (tmp_path / "index.html").write_bytes(PAGE)
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_browser_clicks_a_button_on_a_served_page(page, site):
    response = page.goto(site)
    assert response is not None and response.status == 200
    assert page.title() == "riskbook fixture"
    assert page.text_content("#status") == "pending"
    page.click("#approve")
    page.wait_for_function("document.getElementById('status').textContent === 'approved'", timeout=30_000)
    assert page.text_content("#status") == "approved"
