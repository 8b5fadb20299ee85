"""The validated portfolio: typed tables, the policy, warnings and provenance, and one customer's slice.

:func:`load_portfolio` reads a source (:mod:`helpers.data.sources`), validates it once
(:mod:`helpers.data.validate`) and returns a :class:`Portfolio`; warnings (unaudited statements, a
single year, gaps, ...) are kept on it and shown in the reports.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import os
import pickle
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np
import pandas as pd
import yaml

from ..config import DATA_SAMPLE, Policy, load_policy
from ..exceptions import InputError, Problem, ValidationError
from .contract import TABLES
from .sources import is_url, read_tables, redact, source_kind, source_label
from .validate import normalize_statements, rates_to_base, validate_tables

__all__ = ["Portfolio", "CustomerData", "load_portfolio", "load_snapshot", "customer_profile", "SNAPSHOT_SUFFIX",
           "snapshot_key_path"]

SNAPSHOT_SUFFIX = ".portfolio.pkl"
#: The first line of a snapshot file; the second is the HMAC-SHA256 of the rest, hex.
_SNAPSHOT_MAGIC = b"RISKBOOK-SNAPSHOT-1\n"
#: The key that signs snapshots: hex in this environment variable, else a file of the user's own cache folder.
KEY_ENV = "RISKBOOK_CACHE_KEY"
T = TypeVar("T")


@dataclass
class CustomerData:
    """One customer's slice of the portfolio: its record, tables and warnings."""

    customer_id: str
    record: dict
    statements: pd.DataFrame
    bank_credit: pd.DataFrame
    invoices: pd.DataFrame
    contacts: pd.DataFrame
    warnings: list[Problem]
    policy: Policy
    as_of: pd.Timestamp

    @property
    def name(self) -> str:
        """The customer's registered name."""
        return self.record["name"]

    @property
    def currency(self) -> str:
        """The currency all of the customer's figures are expressed in."""
        return self.record["currency"]

    @property
    def industry(self):
        """The customer's :class:`~helpers.config.Industry` from the policy."""
        return self.policy.industry(self.record["industry"])

    @property
    def domestic(self) -> bool:
        """Whether the customer is in the policy's home country."""
        return self.record["country"] == self.policy.home_country


@dataclass
class Portfolio:
    """Validated input data: typed tables, the policy, warnings and provenance.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Every contract table, typed; statements normalized to whole units of the customer's
        currency (see :func:`_normalize_statements`).
    policy : Policy
    warnings : list of Problem
    source : str
        Where the data came from.
    as_of : Timestamp
        The analysis date used for validation.
    input_hashes : dict of str to str
        SHA-256 of each input table (file or query result) and of the policy file.
    label : str
        How reports name the source (:func:`helpers.data.sources.source_label`: relative, no password).
    raw : dict of str to DataFrame
        Every table as read, as text, one row per record (the evidence a report carries is cut from it).
    policy_bytes : bytes
        The policy file as read (the evidence of the policy a report was made under).
    quarantine : dict of str to dict
        Customers set aside because their own rows break the contract (see :func:`load_portfolio`):
        ``{id: {"name": str, "problems": [Problem, ...]}}``, every problem of its rows (errors and warnings). Their rows are in no table, their ids not in
        :attr:`customer_ids`; a batch gives each a ``failed`` entry listing the problems.

    Results derived from the tables by the analysis layer are kept through :meth:`derived`.
    """

    tables: dict[str, pd.DataFrame]
    policy: Policy
    warnings: list[Problem]
    source: str
    as_of: pd.Timestamp
    input_hashes: dict[str, str] = field(default_factory=dict)
    label: str = ""
    raw: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)
    policy_bytes: bytes = field(default=b"", repr=False, compare=False)
    quarantine: dict[str, dict] = field(default_factory=dict)
    _derived: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def derived(self, key: str, compute: Callable[["Portfolio"], T]) -> T:
        """A result derived from the validated tables, computed once and kept with the portfolio.

        The portfolio-wide analysis (ratios, peers, distress scores) and the customers' scoring
        characteristics are pure functions of the validated data; the batch computes them once,
        before it writes the snapshot, so every notebook of every customer reads them from there.

        Parameters
        ----------
        key : str
            Name of the result (``"financial_analysis"``, ``"characteristics"``).
        compute : callable
            ``compute(portfolio)``, called the first time only.
        """
        if key not in self._derived:
            self._derived[key] = compute(self)
        return self._derived[key]  # type: ignore[return-value]

    @property
    def customers(self) -> pd.DataFrame:
        """The customers table."""
        return self.tables["customers"]

    @property
    def statements(self) -> pd.DataFrame:
        """The normalized financial statements of all customers."""
        return self.tables["financial_statements"]

    @property
    def fx_rates(self) -> dict[str, float]:
        """Currency → units of the base currency per unit (the base currency itself is 1)."""
        return rates_to_base(self.tables["fx_rates"], self.policy)

    @property
    def customer_ids(self) -> list[str]:
        """All customer ids, in table order."""
        return list(self.customers["customer_id"])

    def customer(self, customer_id: str) -> CustomerData:
        """Return one customer's data; raise ``KeyError`` with the known ids when absent."""
        cu = self.customers
        hit = cu[cu["customer_id"] == customer_id]
        if hit.empty:
            raise KeyError(f"customer {customer_id!r} is not in {self.source} "
                           f"({len(cu)} customers, e.g. {', '.join(cu['customer_id'].head(5))})")

        def part(name):
            t = self.tables[name]
            return t[t["customer_id"] == customer_id].reset_index(drop=True)

        record = {k: (None if (isinstance(v, float) and np.isnan(v)) or v is pd.NaT else v)
                  for k, v in hit.iloc[0].to_dict().items()}
        return CustomerData(customer_id, record, part("financial_statements"), part("bank_credit"),
                            part("invoices"), part("contacts"),
                            [w for w in self.warnings if w.customer_id == customer_id], self.policy, self.as_of)

    def preset(self, key: str, value) -> None:
        """Give a derived result instead of computing it (:meth:`derived`): a re-check of one report
        runs on the customer's extract with the portfolio-wide figures the report was made with."""
        self._derived[key] = value

    def customer_extract(self, customer_id: str) -> dict[str, pd.DataFrame]:
        """The customer's rows of every table as read (text), and the shared tables its analysis reads.

        Returns ``{table: frame}``: the customer's own rows of every per-customer table, and the whole
        ``fx_rates`` and ``industry_benchmarks`` tables (small, and needed to convert and to compare).
        The outcome history is left out: only the model uses it, and the model travels as its artifact.
        """
        if customer_id not in set(self.customer_ids):
            raise KeyError(f"customer {customer_id!r} is not in {self.label or self.source}")
        if not self.raw:
            raise InputError("this portfolio was loaded without its tables as read (a batch snapshot: load it "
                             "with load_snapshot(path, raw=True))")
        groups = self.derived("raw_by_customer", _raw_groups)  # each table indexed once, not scanned per customer
        out = {}
        for name, spec in TABLES.items():
            frame = self.raw.get(name)
            if frame is None or name == "outcomes":
                continue
            if spec.has_customer:
                frame = frame.iloc[groups[name].get(customer_id, _NO_ROWS)]
            out[name] = frame.reset_index(drop=True)
        return out

    def customer_digest(self, customer_id: str) -> str:
        """SHA-256 of everything that goes into one customer's analysis.

        Covers the customer's rows in every table, the tables shared by all customers
        (outcomes, fx rates) and the policy file, so a change to any of them changes the digest.
        """
        h = hashlib.sha256()
        h.update(self.policy.sha256.encode())
        h.update(str(self.as_of.date()).encode())
        for name in TABLES:
            t = self.tables[name]
            if TABLES[name].has_customer:
                t = t[t["customer_id"] == customer_id]
                h.update(name.encode())
                h.update(t.to_csv(index=False).encode())
            else:
                h.update(self.input_hashes.get(name, "").encode())
        # the provision matrix of the expected credit loss is estimated on the whole ledger
        h.update(self.input_hashes.get("invoices", "").encode())
        # customers set aside are missing from the portfolio-wide figures (peers, provision matrix)
        h.update(",".join(sorted(self.quarantine)).encode())
        return h.hexdigest()

    def save(self, path: str | Path) -> Path:
        """Write a validated snapshot (a trusted cache for the batch's notebooks) atomically.

        The tables as read go to a file of their own beside it (``<path>.raw``): only the batch's workers
        need them (to cut each report's evidence), not the notebooks, which would load them four times a
        customer for nothing.
        """
        path = Path(path)
        if not path.name.endswith(SNAPSHOT_SUFFIX):
            raise ValueError(f"snapshot file names end in {SNAPSHOT_SUFFIX}")
        path.parent.mkdir(parents=True, exist_ok=True)
        lean = Portfolio(self.tables, self.policy, self.warnings, self.source, self.as_of, self.input_hashes,
                         label=self.label, policy_bytes=self.policy_bytes, quarantine=self.quarantine,
                         _derived={k: v for k, v in self._derived.items() if k != "raw_by_customer"})
        for target, obj in ((path.with_name(path.name + ".raw"), self.raw), (path, lean)):
            payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                fh.write(_SNAPSHOT_MAGIC + _signature(payload) + b"\n" + payload)
            tmp.replace(target)
        return path


_NO_ROWS = np.array([], dtype=np.intp)


def _raw_groups(portfolio: "Portfolio") -> dict[str, dict[str, np.ndarray]]:
    """Where each customer's rows are in each per-customer table as read: ``{table: {customer_id: positions}}``,
    in file order. One pass per table; a customer's rows are then one ``iloc`` (splitting 2,000 customers' tables
    into 12,000 frames up front took 40 s)."""
    return {name: ({str(k): v for k, v in frame.groupby("customer_id", sort=False).indices.items()}
                   if "customer_id" in frame else {})
            for name, frame in portfolio.raw.items() if TABLES.get(name) is not None and TABLES[name].has_customer}


@functools.lru_cache(maxsize=4)
def _key_from(env: str | None, file: str) -> bytes:
    if env:
        try:
            key = bytes.fromhex(env)
        except ValueError:
            key = b""
        if len(key) < 16:
            raise InputError(f"{KEY_ENV} must be at least 32 hexadecimal digits (16 bytes)")
        return key
    path = Path(file)
    if not path.is_file():
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        except FileExistsError:  # another process made it first: read theirs
            pass
        except OSError as exc:
            raise InputError(f"cannot create the key that signs the batch's snapshots at {path}: "
                             f"{exc.strerror or exc}; set {KEY_ENV} to 64 hexadecimal digits instead") from exc
    key = path.read_bytes()
    if len(key) < 16:
        raise InputError(f"the snapshot key {path} is damaged (shorter than 16 bytes); delete it to make a new one")
    return key


def snapshot_key_path() -> Path:
    """Where the key that signs snapshots lives: ``$XDG_CACHE_HOME/riskbook/snapshot.key`` (default
    ``~/.cache``), readable by its owner only; made on first use."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "riskbook" / "snapshot.key"


def _signature(payload: bytes) -> bytes:
    """HMAC-SHA256 of a snapshot's bytes under the user's key, hex."""
    key = _key_from(os.environ.get(KEY_ENV) or None, str(snapshot_key_path()))
    return hmac.new(key, payload, hashlib.sha256).hexdigest().encode()


def _read_signed(path: Path):
    """Unpickle a snapshot file only when its signature proves this user's riskbook wrote it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the snapshot {path}: {exc.strerror or exc}") from exc
    head = len(_SNAPSHOT_MAGIC)
    tag, payload = data[head:head + 64], data[head + 65:]
    if not data.startswith(_SNAPSHOT_MAGIC) or data[head + 64:head + 65] != b"\n" \
            or not hmac.compare_digest(tag, _signature(payload)):
        raise InputError(f"{path} is not a snapshot written by this user's riskbook (its signature does not "
                         "match); it is not opened. A snapshot is the batch's own cache: give the data source "
                         "(folder, workbook or database) instead")
    return pickle.loads(payload)  # noqa: S301 - signed above by Portfolio.save with the user's key


#: The last snapshot loaded in this process, by (path, size, mtime, raw): a warm kernel runs four notebooks per
#: customer on the same snapshot, and reading a portfolio of thousands of customers four times a customer
#: cost seconds each time. The object is shared like the other pure caches a warm kernel keeps (its derived
#: results are portfolio-wide and computed before the snapshot was written).
_LAST_SNAPSHOT: dict[tuple, Portfolio] = {}


def load_snapshot(path: str | Path, *, raw: bool = False) -> Portfolio:
    """A snapshot written by :meth:`Portfolio.save`; with ``raw``, also its tables as read.

    Snapshots are pickles, so they are opened only when signed: each file carries the HMAC-SHA256 of its
    bytes under a key only the user can read (:func:`snapshot_key_path`, or ``$RISKBOOK_CACHE_KEY``), checked
    before anything is unpickled. A file made by anyone else — a crafted ``*.portfolio.pkl`` handed over as
    data — raises :class:`~helpers.exceptions.InputError` and is never unpickled.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise InputError(f"cannot read the snapshot {path}: {exc.strerror or exc}") from exc
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, raw, os.environ.get(KEY_ENV))
    if key in _LAST_SNAPSHOT:
        return _LAST_SNAPSHOT[key]
    snap = _read_signed(path)
    if not isinstance(snap, Portfolio):
        raise InputError(f"{path} does not hold a portfolio snapshot")
    if raw:
        snap.raw = _read_signed(path.with_name(path.name + ".raw"))
    _LAST_SNAPSHOT.clear()
    _LAST_SNAPSHOT[key] = snap
    return snap


def _set_aside(problems: list[Problem], tables: dict[str, pd.DataFrame]) -> dict[str, dict] | None:
    """The customers whose own rows carry every error: ``{id: {"name", "problems"}}`` with all their problems
    (errors and warnings); None when an error belongs to the source as a whole (a missing table or column, a
    shared table, a row without a known customer)."""
    errors = [p for p in problems if p.severity == "error"]
    known = set(tables["customers"]["customer_id"].dropna())
    owners = set()
    for p in errors:
        spec = TABLES.get(p.table)
        if spec is None or not spec.has_customer or p.row is None or p.customer_id not in known:
            return None
        owners.add(p.customer_id)
    cu = tables["customers"].drop_duplicates("customer_id").set_index("customer_id")["name"]
    return {cid: {"name": "" if pd.isna(cu.get(cid)) else str(cu.get(cid)),
                  "problems": [p for p in problems if p.customer_id == cid and TABLES.get(p.table) is not None
                               and TABLES[p.table].has_customer]} for cid in sorted(owners)}


def load_portfolio(data: str | Path | None = None, policy: str | Path | Policy | None = None, *,
                   as_of=None, strict: bool = False, schema: str | None = None,
                   reading: dict | None = None) -> Portfolio:
    """Load and validate a portfolio from a folder, workbook or database.

    Parameters
    ----------
    data : str or Path, optional
        Folder of CSV files, ``.xlsx`` workbook, SQLAlchemy URL, or a snapshot written by
        :meth:`Portfolio.save` (``*.portfolio.pkl``, produced by the batch runner). Defaults to
        the bundled sample portfolio.
    policy : str, Path or Policy, optional
        The credit policy. Defaults to ``policy.yaml`` beside the data (in the folder, or next
        to the workbook). Required for SQL sources.
    as_of : date-like, optional
        Analysis date (default today). Data dated after it is an error.
    schema : str, optional
        For a database source: the schema holding the tables (default: the connection's).
    reading : dict, optional
        Settings of the policy's ``input`` section to replace while reading the files (``{"encoding": "utf-8",
        "delimiter": ","}`` for the CSV extracts riskbook itself wrote, whatever the source declared).
    strict : bool
        All or nothing: any error raises :class:`~helpers.exceptions.ValidationError`. By default, errors
        that all lie in the rows of particular customers (their record, statements, bank records, ledger,
        contacts or assessments) set those customers aside in :attr:`Portfolio.quarantine` — their rows are
        removed from every table, so the others are analysed without them — and only errors of the source as a
        whole (a missing table or column, the shared tables, a row of no known customer, a policy) raise.

    Returns
    -------
    Portfolio

    Raises
    ------
    InputError
        The source cannot be read.
    PolicyError
        The policy is missing or invalid.
    ValidationError
        The data breaks the contract as a whole (or any error, with ``strict``; or every customer would be
        set aside); ``.problems`` lists every problem found.
    """
    data = DATA_SAMPLE if data is None else data
    if str(data).endswith(SNAPSHOT_SUFFIX):
        snap = load_snapshot(data)
        if as_of is not None and pd.Timestamp(as_of) != snap.as_of:
            raise InputError(f"snapshot {data} was validated as of {snap.as_of:%Y-%m-%d}, not {as_of}")
        return snap
    kind = source_kind(data)
    if isinstance(policy, Policy):
        pol = policy
    else:
        if policy is None:
            if kind == "sql":
                raise InputError("an SQL data source needs an explicit policy file (--policy)")
            base = Path(data) if kind == "folder" else Path(data).parent
            policy = base / "policy.yaml"
        pol = load_policy(policy)
    # the policy first: its `input` section says how the source's files are written (encoding, separator)
    settings = pol.input.model_copy(update=reading) if reading else pol.input
    raw_tables, kind = read_tables(data, schema=schema, settings=settings)
    as_of = pd.Timestamp(as_of or pd.Timestamp.today().normalize())
    source = str(data) if kind != "sql" else redact(str(data))
    policy_bytes = Path(pol.source).read_bytes() if pol.source and Path(pol.source).is_file() else b""
    if policy_bytes and pol.sha256 and hashlib.sha256(policy_bytes).hexdigest() != pol.sha256:
        raise InputError(f"{pol.source} changed while it was being read; run again")
    if not policy_bytes:  # a Policy built in code: its settings as YAML are the evidence
        policy_bytes = yaml.safe_dump(pol.model_dump(mode="json", exclude={"source", "sha256"}, exclude_unset=True),
                                      allow_unicode=True, sort_keys=False).encode("utf-8")
    tables, problems = validate_tables(raw_tables, pol, as_of=as_of, source=source)
    quarantine: dict[str, dict] = {}
    if any(p.severity == "error" for p in problems):
        aside = None if strict else _set_aside(problems, tables)
        if aside is None or len(aside) == tables["customers"]["customer_id"].nunique():
            raise ValidationError(problems)
        quarantine = aside
        for name, spec in TABLES.items():  # the customers set aside leave every table (typed and as read)
            if spec.has_customer and "customer_id" in tables[name]:
                tables[name] = tables[name][~tables[name]["customer_id"].isin(quarantine)].reset_index(drop=True)
            raw = raw_tables.get(name)
            if raw is not None and spec.has_customer and "customer_id" in raw.frame:
                keep = ~raw.frame["customer_id"].isin(quarantine).to_numpy()
                raw.frame, raw.rows = raw.frame[keep].reset_index(drop=True), raw.rows[keep]
                raw.numeric = {column: stored[keep] for column, stored in raw.numeric.items()}
        problems = [p for p in problems if p.customer_id not in quarantine]
    tables["financial_statements"] = normalize_statements(tables["financial_statements"], tables["customers"],
                                                           tables["fx_rates"], pol)
    hashes = {name: t.sha256 for name, t in raw_tables.items()}
    hashes["policy"] = pol.sha256
    return Portfolio(tables, pol, [p for p in problems if p.severity == "warning"], source, as_of, hashes,
                     label=source_label(data), raw={name: t.frame for name, t in raw_tables.items()},
                     policy_bytes=policy_bytes, quarantine=quarantine)


def customer_profile(portfolio: Portfolio, customer_id: str) -> dict:
    """The customer's profile and data provenance for the report's first pages.

    Returns a JSON-able dict: the customer's record, industry label and class, whether it is
    domestic, the years of statements available, the data warnings (every one, with its source
    row) and where the data came from (source, as_of, policy version and SHA-256 of the inputs).
    """
    c = portfolio.customer(customer_id)
    ind = c.industry
    fs = c.statements
    return {
        "customer": {**c.record, "industry_label": ind.label, "manufacturing": ind.manufacturing,
                     "industry_risk_class": ind.risk_class, "domestic": c.domestic},
        "statement_years": [int(y) for y in fs["fiscal_year"]],
        "audited_years": [int(y) for y, a in zip(fs["fiscal_year"], fs["audited"]) if a],
        "source_units": sorted(set(fs["source_unit"])) if len(fs) else [],
        "source_currencies": sorted(set(fs["source_currency"])) if len(fs) else [],
        "warnings": [w.to_dict() for w in c.warnings],
        "provenance": {"source": portfolio.label or portfolio.source, "as_of": portfolio.as_of,
                       "policy_version": portfolio.policy.policy_version,
                       "policy_sha256": portfolio.policy.sha256,
                       "input_sha256": portfolio.input_hashes,
                       "customer_inputs_sha256": portfolio.customer_digest(customer_id)},
        "summary": {"customer_id": customer_id, "name": c.name, "currency": c.currency,
                    "industry": c.record["industry"], "country": c.record["country"],
                    "as_of": portfolio.as_of, "data_warnings": len(c.warnings)},
    }
