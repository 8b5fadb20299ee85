"""The order decision log: every order check and every credit manager's release or rejection, in a
database (SQLite by default, PostgreSQL through an SQLAlchemy URL).

Tables (schema version :data:`SCHEMA_VERSION`, created and checked when the log opens):

``riskbook_schema``
    the schema version, one row per version applied.
``order_log``
    the log itself, **append-only**: riskbook only inserts, and database triggers refuse ``UPDATE``,
    ``DELETE`` (and on PostgreSQL ``TRUNCATE``) from anyone. One row per event: ``check`` (outcome
    ``approve``, ``hold`` or ``escalate``), ``release`` and ``reject`` (by a credit manager, with the
    mandatory reason, referring to the check), ``close`` (the order was ``invoiced`` or ``cancelled``).
``open_orders``
    a projection of the log: the credit part of every order approved (or released) and not yet closed.
    It is rebuilt from the log by :meth:`DecisionLog.rebuild_open_orders`, which the tests compare.
``order_owner``
    the customer each order id belongs to (its first check claims it), so that one order id never
    belongs to two customers, also when two of them are checked at the same moment.
``credit_exposure``
    one row per customer that a writer on PostgreSQL locks for the length of its transaction (an upsert
    that inserts or touches the row), so that two checks of the same customer never both count the
    same headroom, while checks of other customers go on in parallel. On SQLite every writing
    transaction starts with ``BEGIN IMMEDIATE``, which takes the database's one write lock (WAL journal,
    ``synchronous=FULL``: a commit is on disk before the answer leaves).
"""
from __future__ import annotations

import datetime as dt
import json
import threading
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (Column, Float, Integer, MetaData, String, Table, Text, bindparam, create_engine, event, func,
                        insert, inspect, select, text)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from ..exceptions import DecisionLogError

__all__ = ["DecisionLog", "SCHEMA_VERSION", "KINDS", "default_log_url", "utc_now"]

SCHEMA_VERSION = 1
#: Kinds of log entry and their outcomes.
KINDS = {"check": ("approve", "hold", "escalate"), "release": ("released",), "reject": ("rejected",),
         "close": ("invoiced", "cancelled")}
PENDING = ("hold", "escalate")

_meta = MetaData()
_schema = Table("riskbook_schema", _meta, Column("version", Integer, primary_key=True),
                Column("applied_at", String(40), nullable=False))
_log = Table(
    "order_log", _meta,
    Column("entry_id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),            # ISO 8601, UTC, microseconds: sorts as it reads
    Column("order_day", String(10), nullable=False, index=True),  # the business day of the order or decision
    Column("kind", String(16), nullable=False),
    Column("order_id", String(64), nullable=False, index=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("outcome", String(16), nullable=False),
    Column("amount", Float), Column("currency", String(3)), Column("due_days", Float),
    Column("credit_amount", Float), Column("limit_currency", String(3)),
    Column("refers_to", Integer, index=True),          # the check a release, rejection or close answers
    Column("actor", String(128), nullable=False),
    Column("note", Text),                               # a credit manager's reason
    Column("reasons", Text, nullable=False),            # JSON list of {code, action, args}
    Column("figures", Text, nullable=False),            # JSON dict of the numbers
    Column("report_as_of", String(10)), Column("policy_version", String(64)), Column("model_version", String(64)),
)
_open = Table("open_orders", _meta,
              Column("order_id", String(64), primary_key=True),
              Column("customer_id", String(64), nullable=False, index=True),
              Column("credit_amount", Float, nullable=False),
              Column("limit_currency", String(3)),
              Column("entry_id", Integer, nullable=False),
              # set when the order is invoiced: it counts until the ledger the desk reads covers that day
              Column("invoiced_on", String(10)))
_exposure = Table("credit_exposure", _meta, Column("customer_id", String(64), primary_key=True))
_owner = Table("order_owner", _meta, Column("order_id", String(64), primary_key=True),
               Column("customer_id", String(64), nullable=False))

_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS order_log_no_{op.lower()} BEFORE {op} ON order_log "
    f"BEGIN SELECT RAISE(ABORT, 'order_log is append-only'); END" for op in ("UPDATE", "DELETE")]
_PG_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION riskbook_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'order_log is append-only'; END $$",
    "CREATE TRIGGER order_log_no_change BEFORE UPDATE OR DELETE ON order_log "
    "FOR EACH ROW EXECUTE FUNCTION riskbook_append_only()",
    "CREATE TRIGGER order_log_no_truncate BEFORE TRUNCATE ON order_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION riskbook_append_only()",
]


# Insert the row when absent, then lock it: one round trip. ON CONFLICT DO UPDATE (a no-op update) locks
# the row whether it was just inserted or already there, until the transaction ends.
_LOCK_PG = text("INSERT INTO credit_exposure (customer_id) VALUES (:c) "
                "ON CONFLICT (customer_id) DO UPDATE SET customer_id = excluded.customer_id")


def utc_now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.timezone.utc)


def _stamp(at: dt.datetime) -> str:
    if at.tzinfo is None:
        raise DecisionLogError("log times must be timezone-aware")
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_log_url(out: str | Path) -> str:
    """The default decision log: ``<out>/decisions.sqlite``."""
    return f"sqlite:///{Path(out).resolve() / 'decisions.sqlite'}"


def _row(r) -> dict:
    d = dict(r._mapping)
    for key in ("reasons", "figures"):
        if key in d and isinstance(d[key], str):
            d[key] = json.loads(d[key])
    return d


# The statements of a check, built once (a check runs thousands of times a minute; building the
# expression each time costs more than running it).
# Σ credit of the customer's open orders by currency, leaving out order :o and the invoiced orders the
# ledger (up to day :l) already holds; and whether :o itself was invoiced.
_Q_OPEN_SUM = text(
    "SELECT limit_currency, "
    "COALESCE(SUM(CASE WHEN order_id <> :o AND (invoiced_on IS NULL OR invoiced_on > :l) "
    "THEN credit_amount ELSE 0 END), 0), "
    "MAX(CASE WHEN order_id = :o AND invoiced_on IS NOT NULL THEN 1 ELSE 0 END) "
    "FROM open_orders WHERE customer_id = :c GROUP BY limit_currency")
_Q_OPEN_ROW = select(_open).where(_open.c.order_id == bindparam("o"))
_Q_ENTRY = select(_log).where(_log.c.entry_id == bindparam("e"))
_Q_ANSWERS = select(_log).where(_log.c.refers_to == bindparam("e")).order_by(_log.c.entry_id)
_Q_LATEST_CHECK = (select(_log).where((_log.c.order_id == bindparam("o")) & (_log.c.kind == "check"))
                   .order_by(_log.c.entry_id.desc()).limit(1))
_Q_INSERT = insert(_log).returning(_log.c.entry_id)
_Q_OPEN_DELETE = _open.delete().where(_open.c.order_id == bindparam("o"))
_Q_OPEN_INVOICED = _open.update().where(_open.c.order_id == bindparam("o")).values(invoiced_on=bindparam("d"))
# Both databases (SQLite >= 3.35) take these upserts; one round trip each. The no-op update makes the claim
# return the owner whether the row was just inserted or already there.
_CLAIM = text("INSERT INTO order_owner (order_id, customer_id) VALUES (:o, :c) "
              "ON CONFLICT (order_id) DO UPDATE SET order_id = excluded.order_id RETURNING customer_id")
_OPEN_UPSERT = text("INSERT INTO open_orders (order_id, customer_id, credit_amount, limit_currency, entry_id) "
                    "VALUES (:order_id, :customer_id, :credit_amount, :limit_currency, :entry_id) "
                    "ON CONFLICT (order_id) DO UPDATE SET customer_id = excluded.customer_id, "
                    "credit_amount = excluded.credit_amount, limit_currency = excluded.limit_currency, "
                    "entry_id = excluded.entry_id, invoiced_on = NULL")
#: The databases riskbook's statements are written for (upserts, triggers, locking).
DIALECTS = ("sqlite", "postgresql")


def _open_total(conn: Connection, customer_id: str, exclude_order: str | None, ledger_day: str,
                rates: dict[str, float] | None, currency: str | None) -> tuple[float, bool]:
    """Σ credit part of a customer's open orders: approved or released, not cancelled or rejected, and,
    when invoiced, invoiced after ``ledger_day`` (the ledger does not hold that invoice yet); leaving out
    ``exclude_order`` (an order being re-checked replaces its earlier approval). Amounts in another
    currency than ``currency`` (the customer's limit currency changed between batches) are converted
    with ``rates`` (units of the base currency per unit).

    Returns
    -------
    total : float
    invoiced : bool
        Whether ``exclude_order`` itself is already invoiced.
    """
    rows = conn.execute(_Q_OPEN_SUM, {"c": customer_id, "o": exclude_order or "", "l": ledger_day})
    total, invoiced = 0.0, False
    for ccy, amount, flag in rows:
        factor = 1.0
        if currency and ccy and ccy != currency:
            if not rates or ccy not in rates or currency not in rates:
                raise DecisionLogError(f"open orders of {customer_id} in {ccy}: no rate to {currency}")
            factor = rates[ccy] / rates[currency]
        total += float(amount) * factor
        invoiced = invoiced or bool(flag)
    return total, invoiced


class LogTransaction:
    """What a writer may do inside :meth:`DecisionLog.transaction` (the customer's row is locked)."""

    def __init__(self, conn: Connection, customer_id: str, at: dt.datetime):
        self.conn, self.customer_id, self.at = conn, customer_id, at

    def open_orders(self, exclude_order: str | None = None, *, ledger_day: str = "",
                    rates: dict[str, float] | None = None, currency: str | None = None) -> tuple[float, bool]:
        """Σ credit part of the customer's open orders, and whether ``exclude_order`` is invoiced (see
        :func:`_open_total`)."""
        return _open_total(self.conn, self.customer_id, exclude_order, ledger_day, rates, currency)

    def claim(self, order_id: str) -> str:
        """Make the locked customer the owner of ``order_id`` unless another customer already is; return
        the owner. On PostgreSQL a concurrent claim of the same id waits on the primary key until the
        first commits, so one order id never belongs to two customers."""
        return self.conn.execute(_CLAIM, {"o": order_id, "c": self.customer_id}).scalar_one()

    def open_order(self, order_id: str) -> dict | None:
        """The open-order row of ``order_id``, or None."""
        r = self.conn.execute(_Q_OPEN_ROW, {"o": order_id}).first()
        return dict(r._mapping) if r else None

    def entry(self, entry_id: int) -> dict | None:
        """One log entry, or None."""
        r = self.conn.execute(_Q_ENTRY, {"e": entry_id}).first()
        return _row(r) if r else None

    def answers(self, entry_id: int) -> list[dict]:
        """Entries that answer check ``entry_id`` (its release, rejection or close)."""
        rows = self.conn.execute(_Q_ANSWERS, {"e": entry_id})
        return [_row(r) for r in rows]

    def latest_check(self, order_id: str) -> dict | None:
        """The order's latest check, or None."""
        r = self.conn.execute(_Q_LATEST_CHECK, {"o": order_id}).first()
        return _row(r) if r else None

    def append(self, *, kind: str, order_id: str, outcome: str, actor: str, order_day: str | None = None, reasons=(),
               figures=None,
               amount=None, currency=None, due_days=None, credit_amount=None, limit_currency=None,
               refers_to=None, note=None, report_as_of=None, policy_version=None, model_version=None) -> int:
        """Append one entry for the locked customer; returns its ``entry_id``. ``order_day`` is the
        business day of the order or decision (default: the entry's UTC date)."""
        if outcome not in KINDS.get(kind, ()):
            raise DecisionLogError(f"outcome {outcome!r} is not one of {kind!r}'s {KINDS.get(kind)}")
        row = dict(at=_stamp(self.at), order_day=order_day or self.at.astimezone(dt.timezone.utc).date().isoformat(),
                   kind=kind, order_id=order_id, customer_id=self.customer_id, outcome=outcome,
                   amount=amount, currency=currency, due_days=due_days, credit_amount=credit_amount,
                   limit_currency=limit_currency, refers_to=refers_to, actor=actor, note=note,
                   reasons=json.dumps(list(reasons), ensure_ascii=False, sort_keys=True),
                   figures=json.dumps(figures or {}, ensure_ascii=False, sort_keys=True, allow_nan=False),
                   report_as_of=report_as_of, policy_version=policy_version, model_version=model_version)
        return int(self.conn.execute(_Q_INSERT, row).scalar_one())

    def open(self, order_id: str, credit_amount: float, limit_currency: str | None, entry_id: int) -> None:
        """Count ``order_id`` in the customer's open orders (replacing an earlier count of it)."""
        self.conn.execute(_OPEN_UPSERT, dict(order_id=order_id, customer_id=self.customer_id,
                                             credit_amount=float(credit_amount), limit_currency=limit_currency,
                                             entry_id=entry_id))

    def close(self, order_id: str) -> bool:
        """Stop counting ``order_id`` (cancelled, rejected, or re-checked and not approved); True when it
        was counted."""
        return self.conn.execute(_Q_OPEN_DELETE, {"o": order_id}).rowcount > 0

    def invoiced(self, order_id: str, day: str) -> None:
        """Mark ``order_id`` invoiced on ``day``: it stops counting once the ledger covers that day."""
        self.conn.execute(_Q_OPEN_INVOICED, {"o": order_id, "d": day})


class DecisionLog:
    """The decision log at an SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://…``).

    Opening it creates the schema in an empty database, or checks the version of an existing one.

    Raises
    ------
    DecisionLogError
        When the database cannot be reached, is not a riskbook log, or has another schema version.
    """

    def __init__(self, url: str, *, pool_size: int = 12):
        self.url = str(url)
        try:
            parsed = make_url(self.url)
        except Exception as exc:  # noqa: BLE001 - sqlalchemy raises ArgumentError and ValueError
            raise DecisionLogError(f"not a database URL: {exc}") from None
        self.dialect = parsed.get_backend_name()
        if self.dialect not in DIALECTS:
            raise DecisionLogError(f"the decision log needs SQLite or PostgreSQL, not {self.dialect}")
        self._lock = threading.Lock() if self.dialect == "sqlite" else None
        try:
            if self.dialect == "sqlite":
                if parsed.database and parsed.database != ":memory:":
                    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                self._writer = self._sqlite_engine(parsed, immediate=True)
                self._reader = self._sqlite_engine(parsed, immediate=False)
            else:
                # 12 + 4 connections per process (4 workers: 64, under PostgreSQL's default 100)
                self._writer = create_engine(parsed, pool_size=pool_size, max_overflow=4, pool_recycle=3600)
                self._reader = self._writer
            self._ensure_schema()
        except SQLAlchemyError as exc:
            raise DecisionLogError(f"cannot open the decision log {self.label}: {type(exc).__name__}: "
                                   f"{str(exc).splitlines()[0]}") from None

    @property
    def label(self) -> str:
        """The URL without a password."""
        return make_url(self.url).render_as_string(hide_password=True)

    @staticmethod
    def _sqlite_engine(url, *, immediate: bool) -> Engine:
        # every writing transaction ends in commit or rollback (engine.begin()): no reset on return needed
        engine = create_engine(url, poolclass=NullPool if url.database in (None, "", ":memory:") else None,
                               connect_args={"check_same_thread": False, "timeout": 30},
                               pool_reset_on_return=None if immediate else "rollback")

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # riskbook issues BEGIN itself (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    def _ensure_schema(self) -> None:
        with self._write() as conn:
            if self.dialect == "postgresql":  # two services starting at once create the schema once
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(727274)")
            names = set(inspect(conn).get_table_names())
            if "riskbook_schema" not in names:
                stray = names & {t.name for t in _meta.sorted_tables}
                if stray:
                    raise DecisionLogError(f"{self.label} has table(s) {', '.join(sorted(stray))} but no "
                                           "riskbook_schema: not a riskbook decision log")
                _meta.create_all(conn)
                for sql in (_SQLITE_TRIGGERS if self.dialect == "sqlite" else _PG_TRIGGERS):
                    conn.exec_driver_sql(sql)
                conn.execute(insert(_schema), dict(version=SCHEMA_VERSION, applied_at=_stamp(utc_now())))
                return
            version = conn.execute(select(func.max(_schema.c.version))).scalar()
            if version != SCHEMA_VERSION:
                raise DecisionLogError(f"{self.label} has decision-log schema version {version}; this riskbook "
                                       f"reads version {SCHEMA_VERSION}")
            missing = {t.name for t in _meta.sorted_tables} - names
            if missing:
                raise DecisionLogError(f"{self.label} lacks table(s) {', '.join(sorted(missing))}")

    @contextmanager
    def _write(self):
        if self._lock is not None:
            with self._lock, self._writer.begin() as conn:
                yield conn
        else:
            with self._writer.begin() as conn:
                yield conn

    @contextmanager
    def transaction(self, customer_id: str, at: dt.datetime | None = None):
        """A writing transaction with ``customer_id``'s exposure row locked until it commits.

        Yields
        ------
        LogTransaction
        """
        with self._write() as conn:
            if self.dialect == "postgresql":  # the customer's row, locked until commit
                conn.execute(_LOCK_PG, {"c": customer_id})
            # SQLite: BEGIN IMMEDIATE has taken the database's write lock, which covers every customer.
            # The time is taken under the lock, so the entries' times follow their entry ids.
            yield LogTransaction(conn, customer_id, at or utc_now())

    # ----------------------------------------------------------------------------------------- reading
    def _read(self, query, params: dict | None = None) -> list[dict]:
        with self._reader.connect() as conn:
            return [_row(r) for r in conn.execute(query, params or {})]

    def entries(self, customer_id: str | None = None, *, since: dt.datetime | None = None,
                until: dt.datetime | None = None, kinds: tuple[str, ...] | None = None,
                days: tuple[str, str] | None = None) -> list[dict]:
        """Log entries, oldest first, of one customer (or all) with ``since <= at < until`` and with an
        order day within ``days`` (first, last; ISO dates, both included)."""
        q = select(_log).order_by(_log.c.entry_id)
        if customer_id is not None:
            q = q.where(_log.c.customer_id == customer_id)
        if since is not None:
            q = q.where(_log.c.at >= _stamp(since))
        if until is not None:
            q = q.where(_log.c.at < _stamp(until))
        if kinds is not None:
            q = q.where(_log.c.kind.in_(kinds))
        if days is not None:
            q = q.where((_log.c.order_day >= days[0]) & (_log.c.order_day <= days[1]))
        return self._read(q)

    def entry(self, entry_id: int) -> dict | None:
        """One log entry, or None."""
        rows = self._read(_Q_ENTRY, {"e": int(entry_id)})
        return rows[0] if rows else None

    def latest_check(self, order_id: str) -> dict | None:
        """The latest check of ``order_id``, or None."""
        rows = self._read(_Q_LATEST_CHECK, {"o": order_id})
        return rows[0] if rows else None

    def pending(self) -> list[dict]:
        """The credit manager's queue: checks that held or escalated an order, not yet released,
        rejected or closed, and not replaced by a later check of the same order; oldest first."""
        answer = _log.alias("answer")
        later = _log.alias("later")
        q = (select(_log).where((_log.c.kind == "check") & _log.c.outcome.in_(PENDING))
             .where(~select(answer.c.entry_id).where(answer.c.refers_to == _log.c.entry_id).exists())
             .where(~select(later.c.entry_id).where((later.c.order_id == _log.c.order_id)
                                                    & (later.c.entry_id > _log.c.entry_id)
                                                    & later.c.kind.in_(("check", "close"))).exists())
             .order_by(_log.c.entry_id))
        return self._read(q)

    def open_orders(self, customer_id: str | None = None, *, invoiced: bool = False) -> list[dict]:
        """Rows of the open-order projection (with ``invoiced``, also the invoiced orders kept until the
        ledger covers their invoice)."""
        q = select(_open).order_by(_open.c.entry_id)
        if not invoiced:
            q = q.where(_open.c.invoiced_on.is_(None))
        if customer_id is not None:
            q = q.where(_open.c.customer_id == customer_id)
        return self._read(q)

    def open_total(self, customer_id: str, *, ledger_day: str = "", rates: dict[str, float] | None = None,
                   currency: str | None = None) -> float:
        """Σ credit part of the customer's open orders now, as a check counts them (:func:`_open_total`)."""
        with self._reader.connect() as conn:
            return _open_total(conn, customer_id, None, ledger_day, rates, currency)[0]

    def rebuild_open_orders(self) -> dict[str, float]:
        """Open orders recomputed from the log alone: order → credit part. An order is open after a
        check that approved it or a release of its check, until a later check that did not approve it,
        a rejection or a close (an invoiced one is left out here, as :meth:`open_orders` leaves it out)."""
        out: dict[str, tuple[float, str]] = {}
        checks: dict[int, dict] = {}
        for e in self.entries():
            if e["kind"] == "check":
                checks[e["entry_id"]] = e
                out.pop(e["order_id"], None)
                if e["outcome"] == "approve":
                    out[e["order_id"]] = e["credit_amount"]
            elif e["kind"] == "release":
                out[e["order_id"]] = checks[e["refers_to"]]["credit_amount"]
            elif e["kind"] in ("reject", "close"):
                out.pop(e["order_id"], None)
        return dict(out)

    def dispose(self) -> None:
        """Close the database connections."""
        self._writer.dispose()
        if self._reader is not self._writer:
            self._reader.dispose()
