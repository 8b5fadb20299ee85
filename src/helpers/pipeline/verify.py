"""``riskbook verify``: re-check a riskbook PDF from the evidence inside it.

1. **Integrity**: the provenance manifest (``riskbook-evidence.json``) is attached, its SHA-256 is the
   one the XMP packet names, and every attachment it lists is there with its SHA-256 (a changed byte,
   a missing file or an unlisted one is named).
2. **Inputs**: with ``--data``, the customer's rows in the data given are compared, table by table,
   with the extract the report carries (the first differing cell is named); with ``--policy``, the
   policy file with the report's.
3. **Re-run**: the analysis runs again, on the attached extract and portfolio figures (or on the data
   given), under the attached policy (or the one given) and with the attached model:
   a customer report re-runs its notebooks; a model validation report re-fits the scorecard and
   re-computes the validation pack; a portfolio pack is rebuilt from the attached summaries.
4. **Figures**: every figure of the re-run results is compared with the attached results (floats to a
   relative 1e-9), and the key figures are listed one by one.

It needs nothing but riskbook and the PDF. The result is a :class:`Verification`; it passes only
when every check passes. :func:`verification_lines` puts it into words (English or Chinese).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from ..analysis.financial import analyse_portfolio
from ..config import load_policy
from ..data.contract import TABLES
from ..data.portfolio import Portfolio, load_portfolio
from ..data.sources import read_tables
from ..data.store import json_bytes, read_json
from ..data.validate import validate_tables
from ..exceptions import RiskbookError
from ..report.context import merge_summaries
from ..report.evidence import CONTEXT_FILES, csv_bytes, read_frame
from ..report.messages import messages
from ..report.pack import write_portfolio_pack
from ..report.pdfa import MANIFEST_NAME
from ..report.provenance import FORMAT
from ..scoring.development import develop_scorecard, validation_pack
from .engines import execute_notebook, kernel_pool
from .manifest import MODEL_NOTEBOOK, code_digest

__all__ = ["Check", "Figure", "Verification", "read_evidence", "verify_pdf", "verification_lines",
           "verification_record", "compare_json"]

#: Relative tolerance of a float comparison (the re-run is the same arithmetic; only printing may differ).
REL_TOL = 1e-9
#: How many of the differences a text lists before "… and N more".
SHOW_DIFFERENCES = 25

# Leaves that record where and when a result was made, not what it says: not compared as figures
# (the inputs and code they name are checked on their own, above the figures).
_PROVENANCE = (re.compile(r"^summary\.json:(inputs_sha256|code_sha256)$"),
               re.compile(r"^results/profile\.json:provenance\."),
               re.compile(r"\bwarnings\[\d+\]\.(row|source)$"),
               re.compile(r"^portfolio\.json:customers\[\d+\]\.report$"),
               # the artifact records the library versions it was fitted with, and its checksum covers them:
               # another machine's numpy build changes both, not one figure
               re.compile(r"^model/scorecard\.json:(libraries\.|checksum$)"))


@dataclass
class Check:
    """One check: ``kind`` (``file``, ``xmp``, ``pdfa``, ``input``, ``policy``, ``code``, ``model``,
    ``rerun``), the message ``code`` (a catalogue key under ``verify.``), ``ok`` and the message's
    arguments."""

    kind: str
    code: str
    ok: bool
    args: dict = field(default_factory=dict)


@dataclass
class Figure:
    """A key figure: its label (catalogue key and arguments), the report's value and the re-run's."""

    key: str
    args: dict
    old: object
    new: object

    @property
    def ok(self) -> bool:
        """Whether the two values agree."""
        return _same(self.old, self.new)


@dataclass
class Verification:
    """The outcome of :func:`verify_pdf`."""

    file: str
    kind: str = ""
    manifest: dict = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    data: str | None = None
    compared: int = 0
    differences: list[tuple[str, object, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True only when every check passed, every figure agrees and the re-run ran."""
        return (bool(self.manifest) and all(c.ok for c in self.checks) and all(f.ok for f in self.figures)
                and not self.differences and any(c.kind == "rerun" and c.ok for c in self.checks))

    def failed(self, kind: str) -> list[Check]:
        """The failed checks of one kind."""
        return [c for c in self.checks if c.kind == kind and not c.ok]


# ---- reading a PDF's evidence

def read_evidence(pdf: str | Path) -> tuple[dict[str, bytes], dict]:
    """The attachments of a PDF (name → bytes) and facts from its XMP packet.

    Returns
    -------
    files : dict of str to bytes
    xmp : dict
        ``part`` and ``conformance`` of the PDF/A identification, ``evidence_sha256`` (riskbook's
        property), each None when absent.

    Raises
    ------
    RiskbookError
        When the file is not a readable PDF.
    """
    try:
        reader = PdfReader(str(pdf))
        files = {name: data[0] for name, data in reader.attachments.items()}
        repeated = sorted(name for name, data in reader.attachments.items() if len(data) > 1)
        root = reader.trailer["/Root"]
        packet = root["/Metadata"].get_object().get_data().decode("utf-8", "replace") if "/Metadata" in root else ""
    except (OSError, PdfReadError, KeyError, ValueError) as exc:
        raise RiskbookError(messages("en")("verify.not_pdf", file=str(pdf), error=str(exc))) from exc

    def find(name):
        m = re.search(rf'{name}="([^"]*)"', packet) or re.search(rf"<{name}>([^<]*)</{name}>", packet)
        return m.group(1) if m else None

    return files, {"part": find("pdfaid:part"), "conformance": find("pdfaid:conformance"),
                   "evidence_sha256": find("riskbook:evidenceSha256"), "customer_id": find("riskbook:customerId"),
                   "as_of": find("riskbook:asOf"), "repeated": repeated}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _integrity(result: Verification, files: dict[str, bytes], xmp: dict) -> None:
    """Check the PDF/A identification, the manifest's hash in the XMP packet and every attachment."""
    result.checks.append(Check("pdfa", "pdfa" if xmp["part"] else "pdfa_missing",
                               xmp["part"] == "3" and (xmp["conformance"] or "").upper() in ("B", "U", "A"),
                               {"part": xmp["part"], "conformance": (xmp["conformance"] or "").lower()}))
    raw = files[MANIFEST_NAME]
    if xmp["evidence_sha256"] != _sha(raw):
        result.checks.append(Check("xmp", "xmp_mismatch", False, {"xmp": xmp["evidence_sha256"], "actual": _sha(raw)}))
    for name in xmp.get("repeated", []):  # a second file under a listed name would go unchecked
        result.checks.append(Check("file", "file.repeated", False, {"name": name}))
    m = result.manifest
    for key, value in (("customer_id", m.get("customer_id")), ("as_of", m.get("as_of"))):
        if value is not None and xmp.get(key) not in (None, str(value)):
            result.checks.append(Check("xmp", "xmp_field", False, {"field": key, "xmp": xmp.get(key), "manifest": value}))
    listed = {e["name"]: e for e in result.manifest.get("files", [])}
    for name, entry in sorted(listed.items()):
        if name not in files:
            result.checks.append(Check("file", "file.missing", False, {"name": name}))
        elif _sha(files[name]) != entry["sha256"]:
            result.checks.append(Check("file", "file.changed", False, {"name": name, "actual": _sha(files[name]),
                                                                       "expected": entry["sha256"]}))
    for name in sorted(set(files) - set(listed) - {MANIFEST_NAME}):
        result.checks.append(Check("file", "file.unlisted", False, {"name": name}))
    result.checks.append(Check("file", "attachments", True, {"n": len(set(files) - {MANIFEST_NAME}), "listed": len(listed)}))


# ---- comparing results

def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):  # True is not 1 here
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-12)
    return a == b


def _leaves(value, path: str = ""):
    if isinstance(value, dict):
        for k in sorted(value):
            yield from _leaves(value[k], f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, value


def compare_json(name: str, old, new) -> tuple[int, list[tuple[str, object, object]]]:
    """Compare two JSON documents leaf by leaf.

    Returns the number of leaves compared and the differences ``(name:path, old, new)``; a leaf present
    on one side only is a difference (its other value is ``"—"``). Provenance leaves (where and when a
    result was made) are skipped.
    """
    a, b = dict(_leaves(old)), dict(_leaves(new))
    compared, diffs = 0, []
    for path in sorted(set(a) | set(b), key=lambda p: (p not in a, p)):
        key = f"{name}:{path}"
        if any(rx.search(key) for rx in _PROVENANCE):
            continue
        compared += 1
        if path not in a or path not in b or not _same(a[path], b[path]):
            diffs.append((key, a.get(path, "—"), b.get(path, "—")))
    return compared, diffs


def _compare_all(result: Verification, old: dict[str, bytes], new: dict[str, bytes]) -> None:
    for name in sorted(old):
        if name in new:
            n, d = compare_json(name, json.loads(old[name]), json.loads(new[name]))
        else:
            n, d = 1, [(name, "…", "—")]
        result.compared += n
        result.differences += d


def _get(doc, *path):
    for p in path:
        if isinstance(doc, dict):
            doc = doc.get(p)
        else:
            return None
    return doc


def _customer_figures(old: dict, new: dict) -> list[Figure]:
    figs = [Figure(f"verify.key.{k}", {}, _get(old, k), _get(new, k))
            for k in ("grade", "model_grade", "score", "pd", "limit")]
    figs.append(Figure("verify.key.terms", {}, _get(old, "terms", "option"), _get(new, "terms", "option")))
    figs.append(Figure("verify.key.insurance", {}, _get(old, "insurance", "kind") or _get(old, "insurance", "recommended"),
                       _get(new, "insurance", "kind") or _get(new, "insurance", "recommended")))
    figs.append(Figure("verify.key.review_date", {}, _get(old, "review_date"), _get(new, "review_date")))
    for name in (old.get("ratios") or {}):
        figs.append(Figure(f"ratio.{name}", {}, _get(old, "ratios", name), _get(new, "ratios", name)))
    figs.append(Figure("verify.key.z_score", {}, _get(old, "z_score", "value"), _get(new, "z_score", "value")))
    for window in (old.get("dbt") or {}):
        figs.append(Figure("verify.key.dbt", {"window": window}, _get(old, "dbt", window), _get(new, "dbt", window)))
    figs.append(Figure("verify.key.payment_index", {}, old.get("payment_index"), new.get("payment_index")))
    for part in (old.get("exposure") or {}):
        figs.append(Figure("verify.key.exposure", {"part": part}, _get(old, "exposure", part), _get(new, "exposure", part)))
    for bucket in (old.get("aging") or {}):
        figs.append(Figure("verify.key.aging", {"bucket": bucket}, _get(old, "aging", bucket), _get(new, "aging", bucket)))
    figs.append(Figure("verify.key.ecl", {}, _get(old, "ecl", "weighted"), _get(new, "ecl", "weighted")))
    figs.append(Figure("verify.key.warnings", {}, len(old.get("warnings") or []), len(new.get("warnings") or [])))
    figs.append(Figure("verify.key.next_review", {}, _get(old, "next_review", "date"), _get(new, "next_review", "date")))
    return figs


# ---- re-running

def _typed_rows(portfolio, customer_id: str, tables) -> dict[str, bytes]:
    """The customer's validated rows of each table (the whole table for shared ones), as CSV: what the
    analysis reads, so that two sources holding the same values in other formats compare equal."""
    out = {}
    for name in tables:
        frame = portfolio.tables.get(name)
        if frame is None:
            continue
        if TABLES[name].has_customer:
            frame = frame[frame["customer_id"] == customer_id]
        out[name] = csv_bytes(frame.reset_index(drop=True))
    return out


def _input_checks(result: Verification, old: dict[str, bytes], new: dict[str, bytes]) -> None:
    """Compare the data given (``--data``) with the report's extract, table by table, as validated values."""
    for table in sorted(old):
        if table not in new:
            result.checks.append(Check("input", "input.absent", False, {"table": table}))
        elif new[table] == old[table]:
            result.checks.append(Check("input", "input.same", True, {"table": table}))
        else:
            result.checks.append(Check("input", "input.differs", False, {
                "table": table, "detail": _first_difference(old[table], new[table])}))


def _first_difference(old: bytes, new: bytes) -> dict:
    a = pd.read_csv(io.BytesIO(old), dtype=str, keep_default_na=False)
    b = pd.read_csv(io.BytesIO(new), dtype=str, keep_default_na=False)
    if list(a.columns) != list(b.columns):
        return {"code": "input.columns", "columns": ", ".join(sorted(set(a.columns) ^ set(b.columns)))
                or ", ".join(b.columns)}
    for i in range(min(len(a), len(b))):
        for col in a.columns:
            if a.at[i, col] != b.at[i, col]:
                return {"code": "input.cell", "row": i + 2, "column": col, "old": a.at[i, col], "new": b.at[i, col]}
    return {"code": "input.rows", "old": len(a), "new": len(b)}


def _policy(result: Verification, work: Path, files: dict[str, bytes], policy: str | Path | None) -> Path:
    expected = (result.manifest.get("policy") or {}).get("sha256")
    if policy is None:
        path = work / "policy.yaml"
        path.write_bytes(files["policy.yaml"])
        version = load_policy(path).policy_version
        result.checks.append(Check("policy", "policy.attached", True, {"version": version}))
        return path
    path = Path(policy)
    data = path.read_bytes()
    result.checks.append(Check("policy", "policy.given", True, {"file": str(policy),
                                                                "version": load_policy(path).policy_version}))
    if _sha(data) != expected:
        result.checks.append(Check("policy", "policy.differs", False, {"new": _sha(data), "old": expected}))
    else:
        result.checks.append(Check("policy", "policy.same", True, {"sha256": expected}))
    return path


def _code_check(result: Verification, code: str) -> None:
    old = (result.manifest.get("riskbook") or {}).get("code_sha256")
    if old and old != code:  # not a failure by itself: the figures decide
        result.checks.append(Check("code", "code.differs", True, {"new": code, "old": old}))
    elif old:
        result.checks.append(Check("code", "code.same", True, {"sha256": old}))


def _load(files: dict[str, bytes], work: Path, policy_path: Path, as_of: str, data, tables: tuple[str, ...]):
    if data is not None:
        return load_portfolio(data, policy_path, as_of=as_of)
    folder = work / "data"
    folder.mkdir()
    for name in tables:
        (folder / f"{name}.csv").write_bytes(files[f"inputs/{name}.csv"])
    # the extracts are riskbook's own CSV (UTF-8, commas), whatever encoding and separator the source declared
    return load_portfolio(folder, policy_path, as_of=as_of, reading={"encoding": "utf-8", "delimiter": ","})


def _rerun_customer(result: Verification, files: dict[str, bytes], work: Path, data, policy, model) -> dict[str, bytes]:

    m = result.manifest
    cid, as_of, lang = m["customer_id"], m["as_of"], m["lang"]
    policy_path = _policy(result, work, files, policy)
    tables = tuple(n[len("inputs/"):-len(".csv")] for n in files if n.startswith("inputs/") and n.endswith(".csv"))
    portfolio = _load(files, work, policy_path, as_of, data, tables)
    if data is not None:
        reference = _load(files, work, policy_path, as_of, None, tables)
        _input_checks(result, _typed_rows(reference, cid, tables), _typed_rows(portfolio, cid, tables))
    else:
        ctx = m.get("context") or {}
        peers = read_frame(files[CONTEXT_FILES["peers"]], ctx["peers"]["dtypes"])
        portfolio.preset("financial_analysis", dataclasses.replace(analyse_portfolio(portfolio), peers=peers))
        portfolio.preset("provision_matrix", read_frame(files[CONTEXT_FILES["provision_matrix"]],
                                                        ctx["provision_matrix"]["dtypes"]))
    artifact = work / "model" / "scorecard.json"
    artifact.parent.mkdir()
    info = m.get("model") or {}
    if model is not None:
        artifact.write_bytes(Path(model).read_bytes())
        if info.get("sha256") and _sha(artifact.read_bytes()) != info["sha256"]:
            result.checks.append(Check("model", "model.changed", False, {"actual": _sha(artifact.read_bytes()),
                                                                         "expected": info["sha256"]}))
    elif "model/scorecard.json" in files:
        artifact.write_bytes(files["model/scorecard.json"])
    else:
        result.checks.append(Check("model", "model.missing", False, {}))
        return {}
    out = work / "out" / "customer"
    (out / "notebooks").mkdir(parents=True)
    order_log = None
    if "inputs/order_log.json" in files:  # the decision log as the batch extracted it
        order_log = work / "order_log.json"
        order_log.write_bytes(files["inputs/order_log.json"])
    previous = None
    if "inputs/previous_summary.json" in files:
        previous = work / "previous_summary.json"
        previous.write_bytes(files["inputs/previous_summary.json"])
    snapshot = portfolio.save(work / "verify.portfolio.pkl")
    notebooks = tuple(Path(n).stem for n in (m.get("parameters") or {}).get("notebooks", []))
    _code_check(result, code_digest(notebooks) if notebooks else "")
    params = {"customer_id": cid, "data": str(snapshot), "output_dir": str(out), "as_of": as_of,
              "model": str(artifact), "lang": lang, "previous": str(previous) if previous else None,
              "order_log": str(order_log) if order_log else None}
    with kernel_pool().kernel() as kernel:  # the batch's warm kernel, reset between notebooks
        for nb in notebooks:
            execute_notebook(nb, out / "notebooks" / f"{nb}.ipynb", params, kernel=kernel)
    summary = {**merge_summaries(read_results(out)), "status": "ok", "lang": lang}  # as the batch writes it
    new = {"summary.json": json.dumps(summary).encode()}
    for p in sorted((out / "results").glob("*.json")):
        new[f"results/{p.name}"] = p.read_bytes()
    return new


def read_results(folder: Path) -> dict:
    """``results/*.json`` of a folder as ``{stem: data}``."""
    return {p.stem: read_json(p) for p in sorted((folder / "results").glob("*.json"))}


def _rerun_model(result: Verification, files: dict[str, bytes], work: Path, data, policy) -> dict[str, bytes]:
    m = result.manifest
    as_of = m["as_of"]
    policy_path = _policy(result, work, files, policy)
    pol = load_policy(policy_path)
    folder = work / "data"
    folder.mkdir()
    (folder / "outcomes.csv").write_bytes(files["inputs/outcomes.csv"])
    raw, _ = read_tables(folder)
    tables, problems = validate_tables(raw, pol, as_of=as_of, source="outcomes.csv")
    bad = [p for p in problems if p.severity == "error" and p.table == "outcomes"]
    if bad:
        raise RiskbookError("; ".join(str(p) for p in bad[:5]))
    history = Portfolio(tables, pol, [], "outcomes.csv", pd.Timestamp(as_of), {})
    if data is not None:  # the data given, compared with the attached history as validated values
        portfolio = load_portfolio(data, policy_path, as_of=as_of)
        _input_checks(result, _typed_rows(history, "", ("outcomes",)), _typed_rows(portfolio, "", ("outcomes",)))
    else:
        portfolio = history
        ctx = (m.get("context") or {})["characteristics"]
        current = read_frame(files[ctx["file"]], ctx["dtypes"]).set_index("customer_id")
        portfolio.preset("characteristics", current)
    _code_check(result, code_digest((MODEL_NOTEBOOK,)))
    scorecard, dev, test = develop_scorecard(portfolio)
    pack = validation_pack(scorecard, dev, test, portfolio)
    artifact = scorecard.to_dict()
    return {"results/model_validation.json": json_bytes(pack), "model/scorecard.json": json.dumps(artifact).encode()}


def _rerun_pack(result: Verification, files: dict[str, bytes], work: Path, policy) -> dict[str, bytes]:
    m = result.manifest
    params = m.get("parameters") or {}
    out = work / "out"
    out.mkdir()
    for name, data in files.items():
        if name.startswith("customers/"):
            target = out / name[len("customers/"):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    if "provision_matrix.json" in files:
        (out / "provision_matrix.json").write_bytes(files["provision_matrix.json"])
    if "previous/portfolio.json" in files:
        (out / "portfolio.json").write_bytes(files["previous/portfolio.json"])
    pol, policy_bytes = None, b""
    if "policy.yaml" in files or policy is not None:
        path = _policy(result, work, files, policy)
        pol, policy_bytes = load_policy(path), path.read_bytes()
    paths = write_portfolio_pack(out, lang=params.get("lang", m.get("lang", "en")),
                                 base_currency=params["base_currency"], policy_company=params.get("company", ""),
                                 policy=pol, review_within_days=params.get("review_within_days", 30),
                                 policy_bytes=policy_bytes)
    return {"portfolio.json": paths["json"].read_bytes()}


def verify_pdf(pdf: str | Path, *, data: str | Path | None = None, policy: str | Path | None = None,
               model: str | Path | None = None, workdir: str | Path | None = None) -> Verification:
    """Re-check a riskbook PDF from its attachments (see the module's description).

    Parameters
    ----------
    pdf : str or Path
        A customer report, model validation report or portfolio pack written by riskbook.
    data : str or Path, optional
        Re-run on this data source (folder, workbook or SQL URL) instead of the attached extract; the
        customer's rows are compared with the extract first.
    policy : str or Path, optional
        Re-run under this policy file instead of the attached one (a different file is named).
    model : str or Path, optional
        The scorecard artifact, when the report recorded only its SHA-256.
    workdir : str or Path, optional
        Where to re-run (a temporary folder, removed afterwards, by default).

    Returns
    -------
    Verification
        ``ok`` only when everything matched.

    Raises
    ------
    RiskbookError
        When the file cannot be read as a PDF.
    """
    result = Verification(str(pdf), data=None if data is None else str(data))
    files, xmp = read_evidence(pdf)
    if MANIFEST_NAME not in files:
        result.checks.append(Check("file", "no_manifest", False, {"file": str(pdf), "manifest": MANIFEST_NAME}))
        return result
    try:
        manifest = json.loads(files[MANIFEST_NAME])
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError(f"format {manifest.get('format') if isinstance(manifest, dict) else '?'}, not {FORMAT}")
    except ValueError as exc:
        result.checks.append(Check("file", "bad_manifest", False, {"file": str(pdf), "error": str(exc)}))
        return result
    result.manifest, result.kind = manifest, manifest.get("kind", "")
    _integrity(result, files, xmp)
    unused = {"portfolio_pack": {"--data": data, "--model": model}, "model_validation": {"--model": model}}
    for option, value in unused.get(result.kind, {}).items():
        if value is not None:  # say so rather than claim to have used it
            result.checks.append(Check("option", "option.unused", False, {"option": option}))
            return result
    tmp = Path(tempfile.mkdtemp(prefix="riskbook-verify-", dir=workdir))
    # the re-run is dated like the document (the scorecard's and the pack's dates are among the figures)
    saved_epoch = os.environ.get("SOURCE_DATE_EPOCH")
    date = manifest.get("document_date")
    if date:
        os.environ["SOURCE_DATE_EPOCH"] = str(int(dt.datetime.fromisoformat(date.replace("Z", "+00:00")).timestamp()))
    try:
        if result.kind == "customer_report":
            new = _rerun_customer(result, files, tmp, data, policy, model)
            olds = {n: files[n] for n in files if n == "summary.json" or (n.startswith("results/") and n.endswith(".json"))}
        elif result.kind == "model_validation":
            new = _rerun_model(result, files, tmp, data, policy)
            olds = {n: files[n] for n in ("results/model_validation.json", "model/scorecard.json") if n in files}
        elif result.kind == "portfolio_pack":
            new = _rerun_pack(result, files, tmp, policy)
            olds = {"portfolio.json": files["portfolio.json"]}
        else:
            raise RiskbookError(f"unknown kind of document {result.kind!r}")
        if new:
            result.checks.append(Check("rerun", "rerun", True, {}))
            _compare_all(result, olds, new)
            result.figures = _key_figures(result.kind, olds, new)
    except Exception as exc:  # the re-run's own failure is a result, not a crash
        result.checks.append(Check("rerun", "rerun_failed", False, {"error": f"{type(exc).__name__}: {exc}"}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if saved_epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved_epoch
    return result


def _key_figures(kind: str, old: dict[str, bytes], new: dict[str, bytes]) -> list[Figure]:
    if kind == "customer_report":
        return _customer_figures(json.loads(old["summary.json"]), json.loads(new["summary.json"]))
    if kind == "model_validation":
        a, b = json.loads(old["results/model_validation.json"]), json.loads(new["results/model_validation.json"])
        figs = [Figure("verify.key.auc_test", {}, _get(a, "discrimination", "test", "auc", "value"),
                       _get(b, "discrimination", "test", "auc", "value")),
                Figure("verify.key.psi", {}, _get(a, "stability", "psi", "value"), _get(b, "stability", "psi", "value"))]
        figs.append(Figure("verify.key.gini_test", {}, _get(a, "discrimination", "test", "gini", "value"),
                           _get(b, "discrimination", "test", "gini", "value")))
        figs.append(Figure("verify.key.selected", {}, ", ".join(_get(a, "model", "selected") or []),
                           ", ".join(_get(b, "model", "selected") or [])))
        return figs
    a, b = json.loads(old["portfolio.json"]), json.loads(new["portfolio.json"])
    figs = [Figure("verify.key.customers", {}, len(a.get("customers", [])), len(b.get("customers", [])))]
    figs.append(Figure("verify.key.ecl", {}, _get(a, "ecl", "weighted"), _get(b, "ecl", "weighted")))
    return figs


def verification_record(result: Verification) -> dict:
    """The verification as JSON-able data: ``ok``, ``kind``, the checks, the key figures and every difference."""
    return {"file": result.file, "ok": result.ok, "kind": result.kind, "data": result.data,
            "checks": [dataclasses.asdict(c) for c in result.checks],
            "figures": [{**dataclasses.asdict(f), "ok": f.ok} for f in result.figures],
            "compared": result.compared,
            "differences": [{"where": w, "old": o, "new": n} for w, o, n in result.differences]}


# ---- in words

def verification_lines(result: Verification, lang: str | None = None) -> list[str]:
    """The verification as lines of text in ``lang`` (default: the report's own language)."""
    m = result.manifest
    lang = lang or m.get("lang") or "en"
    t = messages(lang)
    lines = []
    rb = m.get("riskbook") or {}
    if m:
        base = {"file": result.file, "version": rb.get("version", "?"), "revision": str(rb.get("git_revision", "?"))[:12],
                "as_of": m.get("as_of")}
        if result.kind == "customer_report":
            lines.append(t("verify.header.customer_report", customer_id=m.get("customer_id"), name=m.get("name"), **base))
        elif result.kind == "model_validation":
            lines.append(t("verify.header.model_validation", model=(m.get("model") or {}).get("version"), **base))
        elif result.kind == "portfolio_pack":
            lines.append(t("verify.header.portfolio_pack", n=m.get("customers"), **base))
    for c in result.checks:
        if c.kind == "rerun" and c.ok:
            continue
        args = dict(c.args)
        if "detail" in args and isinstance(args["detail"], dict):
            d = dict(args["detail"])
            args["detail"] = t(f"verify.{d.pop('code')}", **d)
        prefix = "  " if c.ok else "  ✗ "
        lines.append(prefix + t(f"verify.{c.code}", **args))
    if not result.failed("file") and m:
        lines.append("  " + t("verify.files_ok"))
    if any(c.kind == "rerun" for c in result.checks) and m:
        lines.append(t("verify.source.data", data=result.data) if result.data else t("verify.source.extract"))
    if result.figures:
        lines.append(t("verify.figures.title"))
        for f in result.figures:
            label = t(f.key, **f.args) if f.key in t else f.key
            mark = t("verify.figure.ok") if f.ok else t("verify.figure.differs")
            lines.append(f"  {mark:<8} {label}: {_show(f.old)} → {_show(f.new)}")
    if result.compared:
        lines.append(t("verify.all_figures", n=result.compared, equal=result.compared - len(result.differences),
                       differ=len(result.differences)))
        for path, old, new in result.differences[:SHOW_DIFFERENCES]:
            name, _, where = path.partition(":")
            lines.append("  ✗ " + t("verify.difference", file=name, path=where, old=_show(old), new=_show(new)))
        if len(result.differences) > SHOW_DIFFERENCES:
            lines.append("  " + t("verify.more", n=len(result.differences) - SHOW_DIFFERENCES))
    if result.ok:
        lines.append(t("verify.result.ok"))
    else:
        lines.append(t("verify.result.failed", files=len(result.failed("file")) + len(result.failed("xmp"))
                       + len(result.failed("pdfa")), inputs=len(result.failed("input")) + len(result.failed("policy"))
                       + len(result.failed("model")) + len(result.failed("option")), figures=len(result.differences)
                       + sum(not f.ok for f in result.figures)))
    return lines


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if value is None:
        return "—"
    return str(value)
