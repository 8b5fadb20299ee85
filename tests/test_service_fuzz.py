"""Property-based fuzzing of the order-check HTTP service (helpers.service.app) with hypothesis.

The real app (``create_app``) on a real :class:`~helpers.pipeline.order_desk.OrderDesk` and real API keys
(``new_key``/``load_keys``), driven in-process through Starlette's TestClient (schemathesis is not installed).
Properties, for any request hypothesis makes up:

- never a 500, never a Python traceback (``Traceback``, ``File "``) in a body;
- every JSON error has the documented shape ``{"error": {"code", "message", "args"}}``;
- without a valid key every route answers 401 (403 for a key without the role), except the sign-in page;
- a body larger than ``MAX_BODY_BYTES`` is refused with 413, with or without a Content-Length;
- a successful check is approve, hold or escalate, and the exposure after it is never below the exposure before.

The batch output the desk reads is written here, not made by ``riskbook batch``: a batch of one customer
takes 70–100 s on 2 cores (tests/test_order_service.py pays for it once), far over this file's budget. The
desk reads only ``manifest.json`` (its ``data``) and each ``<id>/summary.json`` (limit, terms, grade, review
date, warnings, status; see ``helpers.pipeline.order_desk._state``); the summaries below carry those fields
as the batch writes them, and the data is a small valid cut of data/sample (two customers, their ledgers).
"""
from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote, urlencode

import pandas as pd
import pytest
from hypothesis import event, example, given, strategies as st
from starlette.testclient import TestClient

from helpers.config import DATA_SAMPLE
from helpers.data.decision_log import DecisionLog
from helpers.pipeline.order_desk import OrderDesk
from helpers.service import create_app, load_keys, new_key

from fuzzing import fast
try:  # the service's own limit (documented in the module); 64 KiB as documented when it is not exported
    from helpers.service.app import MAX_BODY_BYTES
except ImportError:  # pragma: no cover
    MAX_BODY_BYTES = 64 * 1024

AS_OF = "2026-09-30"
ON = dt.date(2026, 10, 15)
KEEP = ("C001", "C005")
OUTCOMES = ("approve", "hold", "escalate")


def _summary(cid: str, name: str, currency: str, grade: str, limit: float, days: float, prepayment: float,
             warnings: list[dict]) -> dict:
    """The fields of ``<reports>/<id>/summary.json`` that the order desk reads, as ``riskbook batch`` writes them."""
    return {"customer_id": cid, "name": name, "currency": currency, "as_of": AS_OF, "grade": grade,
            "model_grade": grade, "score": 600.0, "pd": 0.01, "model_version": "scorecard-fuzz",
            "policy_version": "2026.1", "limit": limit, "limit_currency": currency,
            "terms": {"option": "open_30", "label": {"en": "Open account 30 days", "zh": "赊销30天"},
                      "kind": "open_account", "days": days, "prepayment_share": prepayment, "instrument": None},
            "review_date": "2027-09-30", "next_review": {"date": "2027-03-31", "brought_forward": False},
            "exposure": {"open_invoices": 0.0, "exposure": 0.0, "limit": limit, "utilization": 0.0},
            "warnings": warnings, "status": "ok", "lang": "en"}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """The app on a desk over a written batch output, its own decision log, an ERP and a manager key."""
    root = tmp_path_factory.mktemp("service_fuzz")
    data = root / "data"
    data.mkdir()
    for path in sorted(DATA_SAMPLE.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "customer_id" in frame and path.stem != "outcomes":
            frame = frame[frame["customer_id"].isin(KEEP)]
        frame.head(400).to_csv(data / path.name, index=False)
    (data / "policy.yaml").write_bytes((DATA_SAMPLE / "policy.yaml").read_bytes())
    reports = root / "reports"
    for s in (_summary("C005", "苏州市德润精密电子有限公司", "CNY", "2", 1550000.0, 30.0, 0.0,
                       [{"rule": "assessment_due", "severity": "low", "args": {}}]),
              _summary("C001", "Hanoi Electronic Components JSC", "USD", "8", 20000.0, 30.0, 0.5,
                       [{"rule": "distress_zone", "severity": "high", "args": {}}])):
        (reports / s["customer_id"]).mkdir(parents=True)
        (reports / s["customer_id"] / "summary.json").write_text(json.dumps(s, ensure_ascii=False), encoding="utf-8")
    (reports / "manifest.json").write_text(json.dumps({"status": "complete", "data": str(data), "as_of": AS_OF,
                                                       "customers": []}), encoding="utf-8")
    keys_file = root / "keys.yaml"
    erp, manager = new_key(keys_file, "erp-gateway", "erp"), new_key(keys_file, "王芳", "manager")
    log = f"sqlite:///{root / 'decisions.sqlite'}"
    desk = OrderDesk(reports, log=log)
    app = create_app(desk, load_keys(keys_file), today=lambda: ON)
    with TestClient(app, raise_server_exceptions=False, base_url="http://testserver") as client:
        yield {"client": client, "erp": erp, "manager": manager, "log": log}


def assert_sane(r, *, method: str = "GET"):
    """No 500, no traceback, and a JSON error of the documented shape."""
    assert r.status_code < 500, (r.status_code, r.text[:500])
    assert "Traceback" not in r.text and 'File "' not in r.text, r.text[:500]
    kind = r.headers.get("content-type", "")
    if r.status_code >= 400 and method != "HEAD":
        if kind.startswith("text/html"):
            return  # the credit manager's page answers in HTML (its sign-in page)
        assert kind.startswith("application/json"), (r.status_code, kind, r.text[:200])
        body = r.json()
        assert set(body) == {"error"}, body
        err = body["error"]
        assert {"code", "message", "args"} <= set(err), err
        assert isinstance(err["code"], str) and err["code"]
        assert isinstance(err["message"], str) and err["message"]
        assert isinstance(err["args"], dict)


# ------------------------------------------------------------------------------------------------ strategies
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(), st.text(max_size=40),
                      st.sampled_from([10**400, -10**400, 2**63, 1e308, 5e-324, "", " ", "\x00", "NaN", "1e400"]))
json_any = st.recursive(json_leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c,
                                                                                        max_size=3), max_leaves=8)
FIELDS = {
    "customer_id": st.one_of(st.sampled_from(["C001", "C005", "NOBODY", " C005", "C005\n", "c005", "", "C" * 65,
                                              "C005\x00", "../C005", "💥"]), st.text(max_size=70), json_any),
    "amount": st.one_of(st.floats(), st.integers(-10**15, 10**15), st.floats(0.01, 1e12),
                        st.sampled_from([0, -1, 1e12, 1e12 + 1, 1e-300, 10**400, "100", "1,000", True, None]), json_any),
    "currency": st.one_of(st.sampled_from(["CNY", "USD", "EUR", "XYZ", "usd", "CN", "", None]), st.text(max_size=5)),
    "due_days": st.one_of(st.integers(-10, 4000), st.sampled_from([0, 30, 3650, 3651, 30.5, 1e308, "30", None]), json_any),
    "order_id": st.one_of(st.none(), st.sampled_from(["SO-1", "SO-1 ", "", "x" * 65, "a\tb"]), st.text(max_size=70)),
}


@st.composite
def plausible_bodies(draw):
    """An order a real ERP could send (so the 200 path is fuzzed too): a known customer, an amount up to the
    service's 1e12, sometimes a currency, due days, an order id."""
    body = {"customer_id": draw(st.sampled_from(KEEP)), "amount": draw(st.floats(0.01, 1e12))}
    if draw(st.booleans()):
        body["currency"] = draw(st.sampled_from(["CNY", "USD", "EUR"]))
    if draw(st.booleans()):
        body["due_days"] = draw(st.integers(0, 3650))
    if draw(st.booleans()):
        body["order_id"] = draw(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=64))
    return json.dumps(body).encode("utf-8")


@st.composite
def weird_bodies(draw):
    """Anything else: each field present or not, of any JSON type, plus stray fields; serialized with
    NaN/Infinity allowed (what a careless client sends), or not an object, truncated, or not JSON at all."""
    body = {k: draw(v) for k, v in FIELDS.items() if draw(st.integers(0, 4))}
    body.update(draw(st.dictionaries(st.text(max_size=6), json_leaf, max_size=2)))
    kind = draw(st.sampled_from(["json", "json", "top", "broken", "binary"]))
    if kind == "top":
        return json.dumps(draw(json_any)).encode()
    text = json.dumps(body, allow_nan=True, ensure_ascii=draw(st.booleans()))
    if kind == "broken":
        return text[: draw(st.integers(0, max(0, len(text) - 1)))].encode()
    if kind == "binary":
        return draw(st.binary(max_size=64))
    return text.encode("utf-8")


check_bodies = st.one_of(plausible_bodies(), weird_bodies())


def _entries(log_url: str) -> int:
    log = DecisionLog(log_url)
    try:
        return len(log.entries())
    finally:
        log.dispose()


# ------------------------------------------------------------------------------------------------ properties
@fast(60, function_fixtures=True)
@given(body=st.one_of(plausible_bodies(), check_bodies),
       content_type=st.sampled_from(["application/json", "application/json", "application/json; charset=utf-8",
                                     "text/plain", "application/x-www-form-urlencoded", None]),
       lang=st.sampled_from([None, "en", "zh", "xx", "zh-CN"]))
def test_check_answers_any_body_without_a_500(service, body, content_type, lang):
    """POST /orders/check with any body: 200 with an outcome of approve, hold or escalate and exposure after ≥
    exposure before, or a JSON error (404 unknown customer, 409, 422) — never a 500 or a traceback.

    Broken variant caught: removing ``allow_inf_nan=False`` from CheckRequest.amount lets a NaN amount through
    to the desk (OrderError invalid_amount, 422, still no 500); removing the desk's amount check too makes the
    check compute with NaN and the exposure assertion fails."""
    c = service["client"]
    headers = {"X-API-Key": service["erp"]}
    if content_type:
        headers["content-type"] = content_type
    r = c.post("/orders/check" + (f"?lang={lang}" if lang else ""), content=body, headers=headers)
    assert_sane(r, method="POST")
    assert r.status_code in (200, 400, 404, 409, 413, 422), (r.status_code, r.text[:300])  # 400: not UTF-8
    event(f"status {r.status_code}")
    if r.status_code == 200:
        out = r.json()
        assert out["outcome"] in OUTCOMES
        f = out["figures"]
        assert f["exposure_after"] >= f["exposure_before"] >= 0
        assert f["credit_amount"] >= 0 and all(x["text"] for x in out["reasons"])


ROUTES = [("POST", "/orders/check"), ("GET", "/customers/{}"), ("POST", "/orders/{}/close"), ("GET", "/queue"),
          ("POST", "/checks/{}/release"), ("POST", "/checks/{}/reject"), ("GET", "/openapi.json"),
          ("GET", "/manager"), ("POST", "/manager/login"), ("POST", "/manager/logout"),
          ("POST", "/manager/checks/{}"), ("GET", "/manager/reports/{}/report.pdf")]
segment = st.one_of(st.sampled_from(["C005", "C001", "1", "0", "-1", "99999999999999999999999", "..", "%00", "a%2Fb",
                                     "%ff", "SO-1", "report.pdf"]), st.text(max_size=20).map(lambda s: quote(s, safe="")))


@st.composite
def random_requests(draw):
    """A method, a path (a route with random segments, or random segments), a query and a small body."""
    if draw(st.integers(0, 3)):  # mostly the service's own routes, mostly with their own method
        method, template = draw(st.sampled_from(ROUTES))
        path = template.replace("{}", draw(st.one_of(st.sampled_from(["C005", "C001", "1", "2", "SO-1"]), segment)))
        method = draw(st.sampled_from([method, method, method, "GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD"]))
    else:
        method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD"]))
        path = "/" + "/".join(draw(st.lists(segment, max_size=4)))
    query = draw(st.dictionaries(st.sampled_from(["lang", "done", "failed", "sig", "x", ""]),
                                 st.text(max_size=20), max_size=3))
    body = draw(st.one_of(st.none(), check_bodies,
                          st.fixed_dictionaries({"reason": st.text(max_size=30)}).map(lambda d: json.dumps(d).encode()),
                          st.fixed_dictionaries({"outcome": st.sampled_from(["invoiced", "cancelled", "x"])}).map(
                              lambda d: json.dumps(d).encode()),
                          st.sampled_from([b"key=abc", b"decision=release&reason=abc&form_token=x"])))
    return method, path + ("?" + urlencode(query) if query else ""), body


def every_route(test):
    """An explicit example per route with a segment it knows (a customer id, an entry id), so each route's
    own handler runs at least once whatever hypothesis draws."""
    for method, template in ROUTES:
        seg = "C005" if template.startswith(("/customers", "/manager/reports")) else "1"
        body = {"/orders/check": b'{"customer_id": "C005", "amount": 100}', "/orders/{}/close": b'{"outcome": "cancelled"}',
                "/checks/{}/release": b'{"reason": "fuzz release"}', "/checks/{}/reject": b'{"reason": "fuzz reject"}',
                }.get(template)
        test = example(req=(method, template.replace("{}", seg), body), who="manager", accept=None)(test)
    return test


@fast(60, function_fixtures=True)
@every_route
@example(req=("POST", f"/checks/{10**30}/release", b'{"reason": "fuzz release"}'), who="manager", accept=None)
@example(req=("POST", f"/manager/checks/{2**63}", b"decision=release&reason=abc&form_token=x"), who="manager",
         accept=None)
@given(req=random_requests(), who=st.sampled_from(["erp", "manager"]),
       accept=st.sampled_from([None, "zh-CN,zh;q=0.9", "en", "*", "xx"]))
def test_any_path_method_and_query_never_gives_a_500(service, req, who, accept):
    """Any method, path (known routes with random segments, or random paths), query string and small body,
    with a valid key: never a 500 or a traceback; every JSON error has the documented shape.

    Broken variant caught (patched in a scratch run): a handler that raises an unexpected exception, e.g.
    ``int(customer_id)`` in GET /customers/{id}, answers 500 on the route's explicit example.

    Regression: an entry number beyond SQLite's 64-bit integers (10**30) in POST /checks/{n}/release
    answered 500 (OverflowError in the driver); entry numbers are now bounded to 1 … 2**63 − 1 (422)."""
    method, url, body = req
    headers = {"X-API-Key": service[who]}
    if accept:
        headers["Accept-Language"] = accept
    if body is not None:
        headers["content-type"] = "application/json" if body[:1] in (b"{", b"[") else "application/x-www-form-urlencoded"
    r = service["client"].request(method, "http://testserver" + url, content=body, headers=headers)  # "//x" is a path
    assert_sane(r, method=method)


def _ascii_header(max_size=60):
    return st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=max_size)


header_values = st.one_of(
    _ascii_header(), st.binary(max_size=40).filter(lambda b: b"\r" not in b and b"\n" not in b),
    st.sampled_from(["", " ", "Bearer", "Bearer ", "bearer x", "Basic dXNlcjpwYXNz", "null", "undefined",
                     "0" * 64, "a" * 5000]))


@fast(60, function_fixtures=True)
@given(route=st.sampled_from([r for r in ROUTES if not r[1].startswith(("/manager", "/manager/log"))]
                             + [("POST", "/manager/checks/{}"), ("GET", "/manager/reports/{}/report.pdf")]),
       seg=st.one_of(st.sampled_from(["C005", "1", "SO-1"]), segment.filter(  # still the route's path: no empty,
           lambda x: x not in ("", ".", "..") and "%2f" not in x.lower())),   # dot or (encoded) slash segment
       key=st.one_of(st.none(), header_values), auth=st.one_of(st.none(), header_values),
       cookie=st.one_of(st.none(), _ascii_header(), st.just("ab.9999999999.cd")),
       erp=st.booleans(), bad_body=st.one_of(st.none(), st.sampled_from([b"{not json", b"\x80", b"[", b"", b"null"]),
                                             check_bodies))
@example(route=("POST", "/orders/check"), seg="1", key=None, auth=None, cookie=None, erp=False, bad_body=b"{not json")
@example(route=("POST", "/manager/checks/{}"), seg="abc", key=None, auth=None, cookie=None, erp=False, bad_body=None)
def test_without_a_valid_key_every_route_is_refused(service, route, seg, key, auth, cookie, erp, bad_body):
    """No key, a random X-API-Key, a random Authorization header, a forged session cookie — every route
    answers 401 ``unauthorized`` and logs nothing, whatever the body and the path segments; the ERP key on the
    credit manager's routes answers 403 ``forbidden``. (The sign-in page /manager and /manager/login,
    /manager/logout are the exceptions: they are how one signs in.)

    Regression (bug found here, fixed in helpers/service/app.py): FastAPI parses the body and the path before
    the key dependency runs, so without any key ``POST /orders/check`` with ``{not json`` answered 422 with the
    parser's detail, a body that is not UTF-8 400, and ``POST /manager/checks/abc`` 422 (the two examples).

    Broken variant caught: a ``needs("read")`` dependency dropped from one route, or ``keys.find`` returning
    a key for an empty secret, gives 200 here."""
    method, template = route
    path = template.replace("{}", seg)
    headers = {}
    if key is not None:
        headers["X-API-Key"] = key
    if auth is not None:
        headers["Authorization"] = auth
    if cookie is not None:
        headers["Cookie"] = f"riskbook_session={cookie}"
    manager_only = path in ("/queue",) or path.startswith(("/checks/",))
    if erp and manager_only:
        headers = {"X-API-Key": service["erp"]}
    body = {"/orders/check": {"customer_id": "C005", "amount": 10}, "/orders/SO-1/close": {"outcome": "invoiced"},
            }.get(path, {"reason": "because I say so"})
    before = _entries(service["log"])
    if method == "POST" and bad_body is not None and not (erp and manager_only):
        r = service["client"].request(method, path, content=bad_body, headers={**headers, "content-type": "application/json"})
    else:
        r = service["client"].request(method, path, json=body if method == "POST" else None, headers=headers)
    assert_sane(r, method=method)
    if erp and manager_only:
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", (path, r.status_code, r.text[:200])
    else:
        assert r.status_code == 401, (path, headers, r.status_code, r.text[:200])
        assert r.json()["error"]["code"] == "unauthorized"
    assert _entries(service["log"]) == before


@fast(12, function_fixtures=True)
@given(route=st.sampled_from(["/orders/check", "/orders/SO-1/close", "/checks/1/release", "/manager/login",
                              "/manager/checks/1"]),
       extra=st.integers(1, 3 * MAX_BODY_BYTES), chunked=st.booleans(), with_key=st.booleans())
def test_oversized_bodies_are_refused(service, route, extra, chunked, with_key):
    """A body over MAX_BODY_BYTES is refused with 413 and the error shape, whether it says its length or is
    sent chunked, with or without a key, on every route that takes a body; nothing is logged."""
    size = MAX_BODY_BYTES + extra
    payload = b'{"customer_id": "C005", "amount": 10, "pad": "' + b"x" * size + b'"}'
    headers = {"content-type": "application/json"}
    if with_key:
        headers["X-API-Key"] = service["manager"]
    content = iter([payload[i:i + 16384] for i in range(0, len(payload), 16384)]) if chunked else payload
    before = _entries(service["log"])
    r = service["client"].post(route, content=content, headers=headers)
    assert_sane(r, method="POST")
    assert r.status_code == 413, (route, r.status_code, r.text[:200])
    assert r.json()["error"]["code"] == "invalid_request"
    assert _entries(service["log"]) == before


def test_a_body_just_under_the_limit_is_read(service):
    """The limit refuses only what is over it: a valid check padded to just under MAX_BODY_BYTES is checked."""
    head = b'{"customer_id": "C005", "amount": 10, "pad": "'
    payload = head + b"x" * (MAX_BODY_BYTES - len(head) - 2) + b'"}'
    assert len(payload) == MAX_BODY_BYTES
    r = service["client"].post("/orders/check", content=payload,
                               headers={"content-type": "application/json", "X-API-Key": service["erp"]})
    assert r.status_code == 200 and r.json()["outcome"] in OUTCOMES
