"""The order-check service (``riskbook serve``): a small HTTP API for the ERP and a page for the credit
manager, on FastAPI.

API (JSON in and out, every route needs an API key in ``X-API-Key`` or ``Authorization: Bearer``):

``POST /orders/check``
    check one order: ``{customer_id, amount, currency?, due_days?, order_id?}`` → the outcome
    (``approve``, ``hold``, ``escalate``), the reasons as codes and text, the figures, the log entry.
``GET /customers/{customer_id}``
    the customer's latest report and live exposure.
``POST /orders/{order_id}/close``
    ``{outcome: invoiced | cancelled}``: the order stops counting in the exposure.
``GET /queue``; ``POST /checks/{entry_id}/release`` and ``/reject`` (role manager)
    the held and escalated orders; release or reject one with a mandatory ``reason``.
``GET /openapi.json``
    the OpenAPI description.

Errors are JSON ``{"error": {"code", "message", "args"}}`` with an HTTP status; never a stack trace.
A request body larger than :data:`MAX_BODY_BYTES` is refused (413) before anything reads it, the key
check included.
Texts are in English or Chinese: ``?lang=zh`` or an ``Accept-Language`` starting with ``zh``.

The credit manager's page (``/manager``) is rendered on the server (Jinja2, no front-end build): sign
in with a manager key (a session cookie, HttpOnly, SameSite=Strict, with a form token against
cross-site posts), the queue with each customer's headline figures and a link to its PDF, release or
reject with a mandatory reason.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Annotated, Callable
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, Path as PathParam, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..decisions.order_check import utilization
from ..exceptions import OrderError
from ..pipeline.order_desk import OrderDesk
from ..report.formatting import formatter
from ..report.localize import text_for
from ..report.orders import check_text, error_text, log_entry_text, reason_text
from .keys import ApiKey, KeyRing, load_keys

__all__ = ["create_app", "app_from_env", "CONFIG_ENV", "MAX_BODY_BYTES", "CheckRequest", "CloseRequest",
           "DecisionRequest"]

log = logging.getLogger("riskbook.service")
TEMPLATES = Path(__file__).resolve().parent / "templates"
SESSION_COOKIE = "riskbook_session"
SESSION_SECONDS = 8 * 3600   # a manager signs in again after a working day
#: Largest request body the service reads: an order, a decision's reason (2,000 characters) or a sign-in
#: is a few kilobytes; FastAPI reads a body whole (and parses JSON) before the key is checked.
MAX_BODY_BYTES = 64 * 1024
# a decision-log entry number: a positive SQLite integer (a larger one is refused with 422, not 500)
EntryId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
_STATUS = {"unknown_customer": 404, "unknown_entry": 404, "unknown_order": 404, "not_pending": 409,
           "not_open": 409, "order_of_other_customer": 409}


class CheckRequest(BaseModel):
    """An order to check."""

    customer_id: str = Field(min_length=1, max_length=64, description="A customer id of the data")
    amount: float = Field(gt=0, le=1e12, allow_inf_nan=False, description="Order value in `currency`")
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="ISO 4217; default: the customer's")
    due_days: int | None = Field(None, ge=0, le=3650, description="Days to the due date; default: agreed terms")
    order_id: str | None = Field(None, min_length=1, max_length=64, description="The ERP's order number")


class CloseRequest(BaseModel):
    """How an open order ended."""

    outcome: str = Field(pattern=r"^(invoiced|cancelled)$")


class DecisionRequest(BaseModel):
    """A credit manager's reason for a release or rejection."""

    reason: str = Field(min_length=3, max_length=2000)


class _BodyLimit:
    """ASGI middleware: a request whose body is larger than ``limit`` bytes (by its Content-Length, or once
    that many bytes of a chunked body have arrived) gets ``respond(scope)`` instead of reaching the app."""

    def __init__(self, app, *, limit: int, respond: Callable):
        self.app, self.limit, self.respond = app, limit, respond

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or ()).get(b"content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > self.limit):
            return await self.respond(scope)(scope, receive, send)
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                return await self.respond(scope)(scope, receive, send)
            if not message.get("more_body"):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


class ServiceError(Exception):
    """An error of the service itself (authentication, permission, not found)."""

    def __init__(self, status: int, code: str, **args):
        self.status, self.code, self.args_ = status, code, args


def _lang(request: Request, default: str) -> str:
    q = request.query_params.get("lang")
    if q in ("en", "zh"):
        return q
    accept = request.headers.get("accept-language", "")
    if accept[:2].lower() == "zh":
        return "zh"
    if accept[:2].lower() == "en":
        return "en"
    return default


def create_app(desk: OrderDesk, keys: KeyRing, *, lang: str = "en",
               today: Callable[[], dt.date] = dt.date.today, checks_at_once: int = 4,
               session_secret: str | None = None) -> FastAPI:
    """The service on ``desk``, open only to the holders of ``keys``.

    Parameters
    ----------
    desk : OrderDesk
    keys : KeyRing
    lang : str
        Language of the texts when the request does not ask for one.
    today : callable
        The day of the orders (``riskbook serve --date`` fixes it for a sample or a test).
    checks_at_once : int
        Order checks that run at the same time in this process; the others wait their turn.
    session_secret : str, optional
        Key of the page's signed session cookies; worker processes of one service share it (default: a
        new random one, so sessions end with the process).
    """
    app = FastAPI(title="riskbook order check", version="1", docs_url=None, redoc_url=None, openapi_url=None,
                  description="Credit check at order entry: approve, hold or escalate, with the reasons; "
                              "every decision in the decision log.")
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    secret = (session_secret or secrets.token_hex(32)).encode()
    # A few checks at a time: more threads only fight over the GIL (the database does the waiting; with
    # SQLite one writes at a time anyway), which made the tail latency on PostgreSQL four times longer.
    running = threading.BoundedSemaphore(checks_at_once)

    def error(request: Request, status: int, code: str, args: dict | None = None, **extra) -> JSONResponse:
        args = {k: v for k, v in (args or {}).items()}
        return JSONResponse(status_code=status, content={"error": {
            "code": code, "message": error_text(code, args, _lang(request, lang)), "args": args, **extra}})

    def too_large(scope) -> JSONResponse:
        return error(Request(scope), 413, "invalid_request",
                     {"detail": f"the request body is larger than {MAX_BODY_BYTES} bytes"})

    app.add_middleware(_BodyLimit, limit=MAX_BODY_BYTES, respond=too_large)

    @app.exception_handler(OrderError)
    async def _order_error(request: Request, exc: OrderError):
        return error(request, _STATUS.get(exc.code, 422), exc.code, exc.args_)

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        return error(request, exc.status, exc.code, exc.args_)

    def _anonymous(request: Request) -> bool:
        """Neither a valid API key nor a credit manager's session: such a caller learns nothing about its
        request (FastAPI parses the body and the path before the key is checked), only 401."""
        try:
            _key(request)
        except ServiceError:
            return _session(request) is None
        return False

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        if _anonymous(request):
            return error(request, 401, "unauthorized")
        details = [{"loc": [str(p) for p in e.get("loc", ())], "message": e.get("msg", "")} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(d['loc'][1:]) or d['loc'][0]}: {d['message']}" for d in details)[:500]
        return error(request, 422, "invalid_request", {"detail": detail}, details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and _anonymous(request):  # a body that cannot be parsed, from nobody known
            return error(request, 401, "unauthorized")
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found"}.get(exc.status_code, "invalid_request")
        return error(request, exc.status_code, code, {"detail": str(exc.detail)[:200], "role": ""})

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error(request, 500, "internal")

    def _key(request: Request) -> ApiKey:
        secret = request.headers.get("x-api-key")
        auth = request.headers.get("authorization", "")
        if not secret and auth.lower().startswith("bearer "):
            secret = auth[7:].strip()
        key = keys.find(secret)
        if key is None:
            raise ServiceError(401, "unauthorized")
        return key

    def needs(permission: str):
        async def dependency(request: Request) -> ApiKey:  # async: no thread hop for a hash lookup
            key = _key(request)
            if not key.may(permission):
                raise ServiceError(403, "forbidden", role=key.role)
            return key
        return dependency

    # ------------------------------------------------------------------------------------ API
    @app.get("/openapi.json", include_in_schema=False)
    def openapi(_: ApiKey = Depends(needs("read"))):
        return JSONResponse(app.openapi())

    @app.post("/orders/check", summary="Check an order at entry", tags=["orders"])
    def post_check(body: CheckRequest, request: Request, key: ApiKey = Depends(needs("check"))) -> JSONResponse:
        with running:
            result = desk.check(body.customer_id, body.amount, body.currency, body.due_days, body.order_id,
                                on=today(), actor=key.name)
        return JSONResponse(check_text(result, _lang(request, lang)))  # plain JSON: no response-model pass

    @app.get("/customers/{customer_id}", summary="A customer's current state", tags=["customers"])
    def get_customer(customer_id: str, request: Request, _: ApiKey = Depends(needs("read"))) -> JSONResponse:
        out = desk.customer(customer_id, on=today())
        out.pop("pdf", None)  # a path on the server: not for the ERP
        return JSONResponse(out)

    @app.post("/orders/{order_id}/close", summary="Close an open order (invoiced or cancelled)", tags=["orders"])
    def post_close(order_id: str, body: CloseRequest, key: ApiKey = Depends(needs("close"))) -> dict:
        return desk.close(order_id, body.outcome, actor=key.name)

    @app.get("/queue", summary="Held and escalated orders", tags=["credit manager"])
    def get_queue(request: Request, _: ApiKey = Depends(needs("decide"))) -> list[dict]:
        tx = text_for(_lang(request, lang))
        return [{**e, "reasons": [{**r, "text": reason_text(r, tx)} for r in e["reasons"]]} for e in desk.queue()]

    @app.post("/checks/{entry_id}/release", summary="Release a held order", tags=["credit manager"])
    def post_release(entry_id: EntryId, body: DecisionRequest, key: ApiKey = Depends(needs("decide"))) -> dict:
        return desk.release(entry_id, actor=key.name, reason=body.reason, on=today())

    @app.post("/checks/{entry_id}/reject", summary="Reject a held order", tags=["credit manager"])
    def post_reject(entry_id: EntryId, body: DecisionRequest, key: ApiKey = Depends(needs("decide"))) -> dict:
        return desk.reject(entry_id, actor=key.name, reason=body.reason, on=today())

    # ------------------------------------------------------------------------------------ the page
    def _sign(text: str) -> str:
        return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()

    def _session(request: Request) -> tuple[ApiKey, str] | None:
        """The signed-in manager and the form token of the session cookie ``<key digest>.<expiry>.<sig>``
        (stateless, so that every worker process knows it), or None."""
        token = request.cookies.get(SESSION_COOKIE) or ""
        try:
            digest, expiry, sig = token.split(".")
            alive = int(expiry) > time.time()
        except ValueError:
            return None
        if not (alive and hmac.compare_digest(sig.encode(), _sign(f"{digest}.{expiry}").encode())):
            return None  # (bytes: compare_digest refuses non-ASCII text with a TypeError)
        key = next((k for k in keys.keys if hmac.compare_digest(k.sha256.encode(), digest.encode())), None)
        if key is None or not key.may("decide"):
            return None
        return key, _sign(f"form:{token}")

    def _page(name: str, request: Request, status: int = 200, **context) -> HTMLResponse:
        lg = _lang(request, lang)
        tx = text_for(lg)
        html = env.get_template(name).render(t=tx.t, lang=lg, other="zh" if lg == "en" else "en", **context)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store",
                                                               "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'",
                                                               "X-Frame-Options": "DENY"})

    @app.get("/manager", include_in_schema=False)
    def manager(request: Request, done: str | None = None, failed: str | None = None, sig: str = ""):
        # only messages this service wrote (signed): a crafted link cannot put its own text on the page
        flash = done or failed or ""
        if flash and not hmac.compare_digest(sig.encode(), _sign("flash:" + flash).encode()):
            done = failed = None
        found = _session(request)
        if found is None:
            return _page("login.html", request)
        key, form_token = found
        lg = _lang(request, lang)
        tx, f = text_for(lg), formatter(lg)
        rows = []
        for e in desk.queue():
            fig, cust = e["figures"], e.get("customer") or {}
            ccy = fig.get("limit_currency") or e["currency"]
            rows.append({
                "entry_id": e["entry_id"], "at": e["at"][:16].replace("T", " "), "order_id": e["order_id"],
                "customer_id": e["customer_id"], "name": cust.get("name") or "",
                "amount": f.amount(e["amount"], e["currency"], 2), "outcome": e["outcome"],
                "outcome_label": tx.t(f"order.outcome.{e['outcome']}"),
                "reasons": [reason_text(r, tx) for r in e["reasons"]],
                "figures": tx.t("page.customer.figures", grade=fig.get("grade") or f.missing,
                                limit=f.amount(fig.get("limit"), ccy), review=f.date(fig.get("review_date"))),
                "exposure": tx.t("page.customer.exposure", exposure_after=f.amount(fig.get("exposure_after"), ccy),
                                 utilization=f.percent(fig.get("utilization_after"), 0)),
                "now": _now_text(desk.customer(e["customer_id"], on=today()), e, tx),
                "has_pdf": e["has_pdf"]})
        recent = [log_entry_text(e, tx) for e in reversed(desk.log.entries(kinds=("release", "reject"))[-10:])]
        return _page("queue.html", request, rows=rows, actor=key.name, form_token=form_token, done=done,
                     failed=failed, recent=recent)

    @app.post("/manager/login", include_in_schema=False)
    def login(request: Request, key: str = Form("")):
        found = keys.find(key)
        if found is None or not found.may("decide"):
            return _page("login.html", request, status=401, failed=True)
        expiry = str(int(time.time()) + SESSION_SECONDS)
        token = f"{found.sha256}.{expiry}.{_sign(f'{found.sha256}.{expiry}')}"
        response = RedirectResponse(f"/manager?lang={_lang(request, lang)}", status_code=303)
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", path="/",
                            max_age=SESSION_SECONDS, secure=request.url.scheme == "https")
        return response

    @app.post("/manager/logout", include_in_schema=False)
    def logout(request: Request):
        response = RedirectResponse(f"/manager?lang={_lang(request, lang)}", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.post("/manager/checks/{entry_id}", include_in_schema=False)
    def decide(entry_id: EntryId, request: Request, decision: str = Form(""), reason: str = Form(""),
               form_token: str = Form("")):
        found = _session(request)
        if found is None:
            raise ServiceError(401, "unauthorized")
        key, expected = found
        if not hmac.compare_digest(form_token.encode(), expected.encode()) or decision not in ("release", "reject"):
            raise ServiceError(403, "forbidden", role=key.role)
        lg = _lang(request, lang)
        tx = text_for(lg)
        try:
            act = desk.release if decision == "release" else desk.reject
            out = act(entry_id, actor=key.name, reason=reason, on=today())
        except OrderError as exc:
            message = tx.t("page.error", message=error_text(exc.code, exc.args_, tx))
            return RedirectResponse(f"/manager?lang={lg}&failed={_q(message)}&sig={_sign('flash:' + message)}",
                                    status_code=303)
        done_key = ("page.done.override" if out["figures"].get("override") else "page.done.release") \
            if decision == "release" else "page.done.reject"
        message = tx.t(done_key, order_id=out["order_id"], actor=key.name)
        return RedirectResponse(f"/manager?lang={lg}&done={_q(message)}&sig={_sign('flash:' + message)}",
                                status_code=303)

    @app.get("/manager/reports/{customer_id}/report.pdf", include_in_schema=False)
    def report_pdf(customer_id: str, request: Request):
        if _session(request) is None:
            _key(request)  # an API key works too
        pdf = desk.state.pdfs.get(customer_id)
        if pdf is None or not pdf.is_file():
            raise ServiceError(404, "not_found")
        return FileResponse(pdf, media_type="application/pdf", filename=f"{customer_id}-report.pdf")

    return app


def _now_text(now: dict, entry: dict, tx) -> str:
    """The customer's exposure now, with this order's credit part on top (the queue's figures are from the
    time of the check; others may have been approved since)."""
    f, ccy = tx.f, now.get("limit_currency") or entry["limit_currency"] or ""
    after = now["exposure"] + (entry.get("credit_amount") or 0.0)
    limit = now.get("limit")
    u = utilization(after, limit) if limit is not None else None
    return tx.t("page.customer.now", exposure=f.amount(now["exposure"], ccy), after=f.amount(after, ccy),
                utilization=f.percent(u, 0) if u is not None else f.missing)


def _q(text: str) -> str:
    return quote(text, safe="")


#: The environment variable through which ``riskbook serve`` hands its settings to worker processes.
CONFIG_ENV = "RISKBOOK_SERVE_CONFIG"


def app_from_env() -> FastAPI:
    """The service as ``riskbook serve`` configured it (JSON in :data:`CONFIG_ENV`): uvicorn calls this
    factory in every worker process."""
    cfg = json.loads(os.environ[CONFIG_ENV])
    desk = OrderDesk(cfg["reports"], data=cfg.get("data"), policy=cfg.get("policy"), log=cfg.get("log"))
    day = dt.date.fromisoformat(cfg["date"]) if cfg.get("date") else None
    return create_app(desk, load_keys(cfg["keys"]), lang=cfg.get("lang") or "en",
                      today=(lambda: day) if day else dt.date.today, session_secret=cfg["session_secret"])
