"""The order check end to end on the sample portfolio: ``riskbook check-order``, the HTTP service on a real
uvicorn server, and the credit manager's page in a real browser (Debian's Chromium via Playwright).

One batch (CASE1 and the grade-2 customer C005, as of 2026-09-30) feeds every test; each test that writes
to the decision log has its own log, so the figures do not depend on the order the tests run in.
"""
from __future__ import annotations

import datetime as dt
import json
import socket
import time

import httpx
import pytest

from helpers.cli import main
from servers import serve_in_thread
from helpers.data.decision_log import DecisionLog
from helpers.data.store import read_json
from helpers.pipeline.order_desk import OrderDesk
from helpers.service import create_app, load_keys, new_key

AS_OF = "2026-09-30"
ON = dt.date(2026, 10, 15)          # 15 days after the reports: current, and C005's review is a year away
CUSTOMERS = ["CASE1", "C005"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("orders") / "reports"
    code = main(["batch", "--out", str(out), "--customers", ",".join(CUSTOMERS), "--as-of", AS_OF, "--no-progress"])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def summaries(reports):
    return {c: read_json(reports / c / "summary.json") for c in CUSTOMERS}


def test_sample_customers_are_what_the_done_criteria_name(summaries):
    assert summaries["C005"]["grade"] == "2"
    case1 = summaries["CASE1"]
    assert case1["limit"] == 150000 and case1["terms"]["prepayment_share"] == 0.5


# ---------------------------------------------------------------------------------------------- the command
def test_check_order_holds_a_large_case1_order_with_its_reasons(reports, summaries, tmp_path, capsys):
    log = f"sqlite:///{tmp_path / 'log.sqlite'}"
    code = main(["check-order", "CASE1", "600000", "--order-id", "SO-1", "--reports", str(reports),
                 "--date", ON.isoformat(), "--log", log, "--user", "sales.li"])
    out = capsys.readouterr().out
    assert code == 1
    for reason in ("order.over_limit", "order.far_over_limit", "order.large_order", "order.long_overdue_items",
                   "order.severe_warnings"):
        assert reason in out
    assert out.startswith("Escalate: Order SO-1 of CASE1 for 600,000.00 CNY is escalated")
    [entry] = DecisionLog(log).entries()
    open_invoices = summaries["CASE1"]["exposure"]["open_invoices"]  # 388,774: the ledger has nothing after as-of
    # credit part = 600,000 × (1 − 50 % prepayment) = 300,000; exposure after = 388,774 + 0 + 300,000
    assert entry["credit_amount"] == 300000
    assert entry["figures"]["exposure_after"] == pytest.approx(open_invoices + 300000)
    assert entry["outcome"] == "escalate" and entry["actor"] == "sales.li" and entry["order_id"] == "SO-1"
    assert "688,774 CNY" in out and "exceeds the credit limit of 150,000 CNY by 538,774 CNY" in out


def test_check_order_approves_a_small_order_of_the_grade_2_customer(reports, summaries, tmp_path, capsys):
    log = f"sqlite:///{tmp_path / 'log.sqlite'}"
    code = main(["check-order", "C005", "20000", "--reports", str(reports), "--date", ON.isoformat(), "--log", log,
                 "--lang", "zh"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("批准：客户 C005 的订单")
    [entry] = DecisionLog(log).entries()
    assert entry["outcome"] == "approve" and entry["reasons"] == []
    assert entry["figures"]["exposure_after"] == pytest.approx(summaries["C005"]["exposure"]["open_invoices"] + 20000)
    # the approval counts in the next check's exposure
    desk = OrderDesk(reports, log=log)
    again = desk.check("C005", 1000, on=ON)
    assert again["figures"]["open_orders"] == 20000


def test_check_order_refuses_bad_input_with_a_message_and_logs_nothing(reports, tmp_path, capsys):
    log = f"sqlite:///{tmp_path / 'log.sqlite'}"
    base = ["--reports", str(reports), "--date", ON.isoformat(), "--log", log]
    assert main(["check-order", "NOBODY", "100", *base]) == 2
    assert "There is no customer NOBODY in the data." in capsys.readouterr().err
    assert main(["check-order", "C005", "1,000", *base]) == 2
    assert "The amount must be a number above 0" in capsys.readouterr().err
    assert main(["check-order", "C005", "100", "--currency", "XYZ", *base]) == 2
    assert "There is no exchange rate for the currency XYZ; known: CNY, EUR, USD." in capsys.readouterr().err
    assert main(["check-order", "C005", "100", "--due-days", "30.5", *base]) == 2
    assert DecisionLog(log).entries() == []


# ---------------------------------------------------------------------------------------------- the service
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def service(reports, tmp_path_factory):
    """A real uvicorn server on a free loopback port, its own decision log, an ERP and a manager key."""
    folder = tmp_path_factory.mktemp("service")
    keys_file = folder / "keys.yaml"
    erp, manager = new_key(keys_file, "erp-gateway", "erp"), new_key(keys_file, "王芳", "manager")
    log_url = f"sqlite:///{folder / 'decisions.sqlite'}"
    desk = OrderDesk(reports, log=log_url)
    app = create_app(desk, load_keys(keys_file), today=lambda: ON)
    with serve_in_thread(app, log_level="warning") as url:
        yield {"url": url, "erp": erp, "manager": manager, "log": log_url, "desk": desk}


def _client(service, key="erp"):
    headers = {"X-API-Key": service[key]} if key else {}
    return httpx.Client(base_url=service["url"], headers=headers, timeout=10)


def test_every_api_route_needs_a_key(service):
    before = len(DecisionLog(service["log"]).entries())
    with _client(service, None) as c:
        for method, path, body in (("POST", "/orders/check", {"customer_id": "C005", "amount": 1}),
                                   ("GET", "/customers/C005", None), ("GET", "/queue", None),
                                   ("GET", "/openapi.json", None), ("POST", "/checks/1/release", {"reason": "xyz"}),
                                   ("POST", "/orders/X/close", {"outcome": "invoiced"})):
            r = c.request(method, path, json=body)
            assert r.status_code == 401, path
            assert r.json()["error"]["code"] == "unauthorized"
        r = c.get("/customers/C005", headers={"X-API-Key": "not-a-key"})
        assert r.status_code == 401
    assert len(DecisionLog(service["log"]).entries()) == before  # nothing was checked without a key


def test_service_holds_case1_and_approves_c005(service, summaries):
    with _client(service) as c:
        r = c.post("/orders/check", json={"customer_id": "CASE1", "amount": 600000, "order_id": "ERP-1"})
        assert r.status_code == 200
        body = r.json()
        assert body["outcome"] == "escalate" and body["order_id"] == "ERP-1"
        codes = [x["code"] for x in body["reasons"]]
        assert codes[:3] == ["order.over_limit", "order.far_over_limit", "order.large_order"]
        assert all(x["text"] and x["action"] in ("hold", "escalate") for x in body["reasons"])
        assert body["figures"]["credit_amount"] == 300000
        zh = c.post("/orders/check?lang=zh", json={"customer_id": "C005", "amount": 20000.0, "order_id": "ERP-2"})
        assert zh.status_code == 200 and zh.json()["outcome"] == "approve"
        assert zh.json()["outcome_label"] == "批准" and "获批准" in zh.json()["headline"]
        state = c.get("/customers/C005").json()
        assert state["report"]["grade"] == "2" and state["limit"] == 1550000
        assert state["open_orders"] >= 20000
        assert state["exposure"] == pytest.approx(state["open_invoices"] + state["open_orders"])
        assert "pdf" not in state  # no server path for the ERP


def test_service_errors_are_json_with_a_code_and_no_trace(service):
    with _client(service) as c:
        cases = [({"customer_id": "C005", "amount": -1}, 422, "invalid_request"),
                 ({"customer_id": "C005", "amount": 10, "currency": "usd"}, 422, "invalid_request"),
                 ({"customer_id": "C005", "amount": 10, "currency": "XYZ"}, 422, "unknown_currency"),
                 ({"customer_id": "NOBODY", "amount": 10}, 404, "unknown_customer"),
                 ({"customer_id": "C005"}, 422, "invalid_request"),
                 ({"customer_id": "C005", "amount": 10, "due_days": 5000}, 422, "invalid_request")]
        for body, status, code in cases:
            r = c.post("/orders/check", json=body)
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), body
            assert "Traceback" not in r.text
        r = c.post("/orders/check", content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
        r = c.get("/queue")
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        zh = c.post("/orders/check", json={"customer_id": "NOBODY", "amount": 10}, headers={"Accept-Language": "zh-CN"})
        assert zh.json()["error"]["message"] == "数据中没有客户 NOBODY。"


def test_openapi_describes_the_check(service):
    with _client(service) as c:
        spec = c.get("/openapi.json").json()
    assert "/orders/check" in spec["paths"] and "/customers/{customer_id}" in spec["paths"]
    schema = spec["components"]["schemas"]["CheckRequest"]
    assert set(schema["required"]) == {"customer_id", "amount"}
    assert not any(p.startswith("/manager") for p in spec["paths"])


def test_release_needs_a_reason_happens_once_and_closes_count_as_they_should(service):
    with _client(service) as c, _client(service, "manager") as m:
        held = c.post("/orders/check", json={"customer_id": "C005", "amount": 900000, "order_id": "ERP-9"}).json()
        assert held["outcome"] in ("hold", "escalate") and "order.large_order" in [x["code"] for x in held["reasons"]]
        assert any(e["order_id"] == "ERP-9" for e in m.get("/queue").json())
        assert m.post(f"/checks/{held['entry_id']}/release", json={"reason": ""}).status_code == 422
        r = m.post(f"/checks/{held['entry_id']}/release", json={"reason": "Secured by a bank guarantee"})
        assert r.status_code == 200 and r.json()["actor"] == "王芳"
        again = m.post(f"/checks/{held['entry_id']}/reject", json={"reason": "changed my mind"})
        assert again.status_code == 409 and again.json()["error"]["code"] == "not_pending"
        assert not any(e["order_id"] == "ERP-9" for e in m.get("/queue").json())
        before = c.get("/customers/C005").json()["open_orders"]
        assert c.post("/orders/ERP-9/close", json={"outcome": "invoiced"}).status_code == 200
        # invoiced today, after the ledger's last day: it counts until a ledger with its invoice is loaded
        assert c.get("/customers/C005").json()["open_orders"] == pytest.approx(before)
        assert c.post("/orders/ERP-9/close", json={"outcome": "invoiced"}).json()["error"]["code"] == "not_open"
        # the invoiced order still counts: the next one is over the limit, and held; the ERP withdraws it
        nxt = c.post("/orders/check", json={"customer_id": "C005", "amount": 1000, "order_id": "ERP-10"}).json()
        assert nxt["outcome"] != "approve" and "order.over_limit" in [x["code"] for x in nxt["reasons"]]
        assert c.post("/orders/ERP-10/close", json={"outcome": "cancelled"}).status_code == 200
        assert not any(e["order_id"] == "ERP-10" for e in m.get("/queue").json())
        assert c.get("/customers/C005").json()["open_orders"] == pytest.approx(before)
    log = DecisionLog(service["log"])
    kinds = [(e["kind"], e["outcome"]) for e in log.entries() if e["order_id"] == "ERP-9"]
    assert kinds == [("check", held["outcome"]), ("release", "released"), ("close", "invoiced")]


# ---------------------------------------------------------------------------------------------- the page
def test_credit_manager_releases_a_held_order_in_the_browser(service, page):
    with _client(service) as c:
        held = c.post("/orders/check", json={"customer_id": "CASE1", "amount": 250000, "order_id": "WEB-1"}).json()
    assert held["outcome"] in ("hold", "escalate")
    base = service["url"]
    page.goto(f"{base}/manager")
    page.fill("#key", service["erp"])          # an ERP key may not use the page
    page.click("button[type=submit]")
    assert "not valid for the credit manager" in page.inner_text("[role=alert]")
    page.fill("#key", service["manager"])
    page.click("button[type=submit]")
    row = page.locator("tr[data-order='WEB-1']")
    assert row.count() == 1
    text = row.inner_text()
    assert "Exposure after the order" in text and "exceeds the credit limit" in text and "Grade 8" in text
    pdf = page.request.get(base + row.locator("a").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    # the reason is mandatory: the browser refuses an empty one, the server too
    assert row.locator("form").evaluate("f => f.checkValidity()") is False
    row.locator("textarea").fill("Director's personal guarantee received; shipment capped at 250k")
    row.locator("button[value=release]").click()
    page.wait_for_selector("#done")
    assert "WEB-1" in page.inner_text("#done") and "王芳" in page.inner_text("#done")
    assert page.locator("tr[data-order='WEB-1']").count() == 0
    assert "Director's personal guarantee" in page.inner_text("#recent")
    entries = [e for e in DecisionLog(service["log"]).entries() if e["order_id"] == "WEB-1"]
    assert [e["kind"] for e in entries] == ["check", "release"]
    release = entries[1]
    assert release["actor"] == "王芳" and release["refers_to"] == held["entry_id"]
    assert release["note"] == "Director's personal guarantee received; shipment capped at 250k"
    assert release["figures"]["override"] is True  # over the limit: logged as an override
    page.goto(f"{base}/manager?lang=zh")
    assert page.inner_text("h1") == "信用冻结订单"


def test_page_rejects_a_post_without_its_form_token(service, page):
    base = service["url"]
    page.goto(f"{base}/manager")
    page.fill("#key", service["manager"])
    page.click("button[type=submit]")
    r = page.request.post(f"{base}/manager/checks/1", form={"decision": "release", "reason": "no token here"})
    assert r.status == 403 and json.loads(r.text())["error"]["code"] == "forbidden"
    # a crafted link cannot put its own text on the page (only messages the service signed are shown)
    page.goto(f"{base}/manager?failed=Your+key+expired%2C+mail+it+to+evil%40example.com&sig=00")
    assert page.locator("#failed").count() == 0 and "evil" not in page.content()
    # a forged session cookie is no session
    page.context.add_cookies([{"name": "riskbook_session", "value": "ab.9999999999.cd", "url": base}])
    page.goto(f"{base}/manager")
    assert page.locator("#key").count() == 1


def test_a_new_batch_is_picked_up_without_a_restart(reports, tmp_path):
    """The desk reloads when manifest.json changes (a new batch landed), in the background, and the next
    checks use the new limit; until then the old state serves."""
    import shutil

    copy = tmp_path / "reports"
    shutil.copytree(reports, copy, ignore=shutil.ignore_patterns("decisions.sqlite*"))
    desk = OrderDesk(copy, log=f"sqlite:///{tmp_path / 'log.sqlite'}", refresh_seconds=0)
    first = desk.check("C005", 20000, on=ON)
    assert first["figures"]["limit"] == 1550000 and first["outcome"] == "approve"
    summary = read_json(copy / "C005" / "summary.json")
    summary["limit"] = 1000.0
    (copy / "C005" / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    manifest = copy / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8"), encoding="utf-8")  # a new batch: a new mtime
    deadline = time.monotonic() + 120
    while desk.state.states["C005"].limit != 1000.0:
        assert time.monotonic() < deadline, f"no reload ({desk.reload_error})"
        time.sleep(0.1)
    second = desk.check("C005", 20000, on=ON)
    assert second["figures"]["limit"] == 1000.0 and "order.over_limit" in [r["code"] for r in second["reasons"]]


def test_serve_refuses_to_run_open(reports, capsys, monkeypatch):
    monkeypatch.delenv("RISKBOOK_KEYS", raising=False)
    assert main(["serve", "--reports", str(reports)]) == 2
    assert "needs API keys" in capsys.readouterr().err


def test_riskbook_serve_with_two_workers_shares_the_manager_session(reports, tmp_path):
    """The command as an operator runs it: two worker processes; a manager signed in on one is signed in
    on the other (the session cookie is signed with the service's shared secret, not kept in memory)."""
    import subprocess
    import sys

    keys = tmp_path / "keys.yaml"
    manager = new_key(keys, "王芳", "manager")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "helpers.cli", "serve", "--reports", str(reports), "--keys",
                             str(keys), "--log", f"sqlite:///{tmp_path / 'log.sqlite'}", "--port", str(port),
                             "--date", ON.isoformat(), "--workers", "2"], stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240  # two workers importing the app on a busy machine
        while True:
            try:
                httpx.get(base + "/manager", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else ""
                time.sleep(0.3)
        with httpx.Client(base_url=base, timeout=10) as c:
            assert c.post("/manager/login", data={"key": manager}).status_code == 303
            # a new connection each time: the kernel hands them to either worker
            pages = [c.get("/manager", headers={"Connection": "close"}) for _ in range(20)]
        assert all(p.status_code == 200 and "Signed in as 王芳" in p.text for p in pages)
    finally:
        proc.terminate()
        proc.wait(20)


# ---------------------------------------------------------------------------------------------- in the reports
def test_reports_and_pack_show_the_order_log_and_verify_with_it(reports, tmp_path):
    """A batch over a decision log: the customer's report lists its holds, releases and overrides of the
    window (by order day), the pack lists the customer, the extract is attached and verify re-runs with it;
    entries outside the window are left out."""
    import shutil

    from pypdf import PdfReader

    from helpers.pipeline import verify_pdf

    out = tmp_path / "reports"
    shutil.copytree(reports, out, ignore=shutil.ignore_patterns("decisions.sqlite*"))
    log = f"sqlite:///{tmp_path / 'orders.sqlite'}"
    desk = OrderDesk(out, log=log)
    day = dt.date(2026, 9, 20)
    at = dt.datetime(2026, 9, 20, 2, 0, tzinfo=dt.timezone.utc)
    big = desk.check("CASE1", 600000, order_id="SO-1001", on=day, at=at)
    small = desk.check("CASE1", 8000, order_id="SO-1002", on=day, at=at)
    desk.release(small["entry_id"], actor="王芳", reason="Half prepaid; the rest guaranteed by the director",
                 on=day, at=at)
    desk.reject(big["entry_id"], actor="王芳", reason="Far over the limit, items 500 days overdue", on=day, at=at)
    desk.check("CASE1", 9000, order_id="SO-1003", on=day, at=at)                       # still waiting
    desk.check("CASE1", 7000, order_id="SO-OLD", on=dt.date(2026, 5, 1), at=at)        # before the window
    desk.check("CASE1", 7000, order_id="SO-LATE", on=dt.date(2026, 10, 2), at=at)      # after the as-of date
    desk.log.dispose()
    assert main(["batch", "--out", str(out), "--customers", "CASE1", "--as-of", AS_OF, "--no-progress",
                 "--log", log]) == 0
    orders = read_json(out / "CASE1" / "results" / "monitoring.json")["orders"]
    assert orders["counts"] == {"checks": 3, "approvals": 0, "holds": 3, "releases": 1, "overrides": 1,
                                "rejections": 1, "pending": 1}
    assert {e["order_id"] for e in orders["entries"]} == {"SO-1001", "SO-1002", "SO-1003"}
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(out / "CASE1" / "report.pdf").pages).split())
    assert "Order holds and releases" in text and "Half prepaid; the rest guaranteed by the director" in text
    assert "Released (override)" in text and "SO-OLD" not in text and "SO-LATE" not in text
    pack = " ".join(" ".join(p.extract_text() for p in PdfReader(out / "portfolio.pdf").pages).split())
    assert "Order holds and overrides" in pack and "SO-1003" in pack
    result = verify_pdf(out / "CASE1" / "report.pdf")
    assert result.ok, [c for c in result.checks if not c.ok][:3]
    assert "inputs/order_log.json" in [f["name"] for f in result.manifest["files"]]
