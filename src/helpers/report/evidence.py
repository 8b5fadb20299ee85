"""The evidence a report carries inside its PDF, and the provenance manifest that lists it.

A customer report attaches (PDF/A-3 associated files, :mod:`helpers.report.pdfa`):

=============================  ============  =======================================================
file                           relationship  what it is
=============================  ============  =======================================================
``inputs/<table>.csv``         Data          the customer's rows of every input table, as read, and
                                             the shared ``fx_rates`` and ``industry_benchmarks``
``context/peers.csv``          Data          the customer's peer statistics (from the whole portfolio)
``context/provision_matrix.csv`` Data        the portfolio's ECL provision matrix
``inputs/previous_summary.json`` Data        the previous report's summary, when monitoring read one
``inputs/order_log.json``        Data        the decision log's entries of the customer (order checks, holds,
                                             releases) of the recent days, when the batch had a decision log
``policy.yaml``                Data          the credit policy file
``model/scorecard.json``       Data          the scorecard artifact (its checksum only, when large)
``results/<section>.json``     Supplement    every notebook's results
``summary.json``               Supplement    the customer's summary
``notebooks/<name>.ipynb``     Source        the executed notebooks (paths and timings taken out)
``riskbook-evidence.json``     Supplement    the manifest: SHA-256 of every file above, of every full
                                             input table and of the fonts; versions; parameters
=============================  ============  =======================================================

The portfolio-wide figures (peer statistics, the provision matrix) come from every customer's data;
the extract carries them as figures, not the other customers' rows, so a report re-checks on its own
(``riskbook verify``) and discloses nothing about other customers.

Everything here is free of machine paths and clocks, so that the same inputs give the same bytes.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

from ..analysis.characteristics import portfolio_characteristics
from ..analysis.ecl import portfolio_matrix
from ..analysis.financial import analyse_portfolio
from ..exceptions import RiskbookError
from .pdfa import EvidenceFile
from .provenance import FORMAT, evidence_manifest, git_revision

__all__ = ["FORMAT", "MODEL_ATTACH_MAX_BYTES", "git_revision", "csv_bytes", "frame_dtypes", "read_frame",
           "normalize_notebook", "customer_evidence", "customer_manifest", "model_evidence", "model_manifest", "results_evidence", "evidence_manifest",
           "CONTEXT_FILES"]

#: A scorecard artifact larger than this is recorded by its SHA-256 instead of attached.
MODEL_ATTACH_MAX_BYTES = 5_000_000
#: Portfolio-wide figures a customer's analysis reads: derived-result key → attachment name.
CONTEXT_FILES = {"peers": "context/peers.csv", "provision_matrix": "context/provision_matrix.csv"}


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as UTF-8 CSV with a header, ``\\n`` line ends and exact floats (the same bytes every time)."""
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def frame_dtypes(frame: pd.DataFrame) -> dict[str, str]:
    """Column → dtype name, to read a :func:`csv_bytes` file back with the same types."""
    return {str(c): str(t) for c, t in frame.dtypes.items()}


def read_frame(data: bytes, dtypes: dict[str, str]) -> pd.DataFrame:
    """Read a :func:`csv_bytes` file back with the dtypes :func:`frame_dtypes` recorded.

    Text columns come back with their dtype (``str``: missing as NaN; ``object``: missing as None); CSV
    cannot tell an empty text from a missing one, so both come back missing.
    """
    text = {c for c, t in dtypes.items() if t in ("object", "string", "str")}
    frame = pd.read_csv(io.BytesIO(data), dtype={c: str for c in text}, keep_default_na=False,
                        na_values={c: [""] for c in dtypes if c not in text})
    for col, kind in dtypes.items():
        if col in text:
            values = frame[col].astype(object).where(frame[col] != "", None)
            frame[col] = values if kind == "object" else values.astype(kind)
        elif str(frame[col].dtype) != kind:
            frame[col] = frame[col].astype(kind)
    return frame[list(dtypes)]


_VOLATILE_NOTEBOOK_KEYS = ("start_time", "end_time", "duration", "input_path", "output_path", "environment_variables")


def normalize_notebook(path: str | Path, replacements: dict[str, str]) -> bytes:
    """Rewrite an executed notebook without what differs between two identical runs, and return its bytes.

    Papermill's and the kernel's timestamps and durations are removed, the parameters cell Papermill
    inserted gets a fixed id instead of a random one, and each key of ``replacements`` (an
    absolute path: the staging folder, the snapshot, the model) is replaced by its value (a logical name
    such as ``<out>/CASE1``) wherever it appears, longest first. The file is rewritten in place.
    """
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    meta = nb.get("metadata", {})
    pm = meta.get("papermill")
    if isinstance(pm, dict):
        for key in _VOLATILE_NOTEBOOK_KEYS:
            pm.pop(key, None)
    for cell in nb.get("cells", []):
        cm = cell.get("metadata", {})
        if "injected-parameters" in cm.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives the cell it inserts a random id
        cm.pop("execution", None)
        if isinstance(cm.get("papermill"), dict):
            for key in _VOLATILE_NOTEBOOK_KEYS:
                cm["papermill"].pop(key, None)
    text = json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    for old in sorted(replacements, key=len, reverse=True):
        if old:
            text = text.replace(json.dumps(old, ensure_ascii=False)[1:-1],
                                json.dumps(replacements[old], ensure_ascii=False)[1:-1])
    data = text.encode("utf-8")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return data


def results_evidence(folder: Path, *, notebooks: bool = True) -> list[EvidenceFile]:
    """``summary.json``, ``results/*.json`` and (unless ``notebooks`` is false) ``notebooks/*.ipynb`` of an
    output folder, as attachments."""
    files = []
    if (folder / "summary.json").is_file():
        files.append(EvidenceFile("summary.json", (folder / "summary.json").read_bytes(), "Supplement", "summary"))
    for p in sorted((folder / "results").glob("*.json")):
        files.append(EvidenceFile(f"results/{p.name}", p.read_bytes(), "Supplement", "result"))
    for p in sorted((folder / "notebooks").glob("*.ipynb")) if notebooks else ():
        files.append(EvidenceFile(f"notebooks/{p.name}", p.read_bytes(), "Source", "notebook"))
    return files


def customer_evidence(portfolio, customer_id: str, folder: str | Path, *, model: str | Path | None = None,
                      previous: str | Path | None = None,
                      order_log: str | Path | None = None) -> tuple[list[EvidenceFile], dict]:
    """The files a customer's report attaches, and the manifest's facts about them.

    Parameters
    ----------
    portfolio : helpers.data.Portfolio
        The validated portfolio the batch ran on (its raw tables and policy file).
    customer_id : str
    folder : str or Path
        The customer's finished output folder (``summary.json``, ``results/``, ``notebooks/``, already
        normalized by :func:`normalize_notebook`).
    model : str or Path, optional
        The scorecard artifact the scoring used.
    previous : str or Path, optional
        The previous run's ``summary.json`` the monitoring read.
    order_log : str or Path, optional
        The batch's extract of the decision log for the customer, which the monitoring read.

    Returns
    -------
    files : list of EvidenceFile
    facts : dict
        ``context`` (each context file's dtypes) and ``model`` (version, checksum, SHA-256, attached).
    """
    folder = Path(folder)
    files = []
    for name, frame in portfolio.customer_extract(customer_id).items():
        files.append(EvidenceFile(f"inputs/{name}.csv", csv_bytes(frame), "Data", "input"))
    peers = analyse_portfolio(portfolio).peers
    context = {"peers": peers[peers["customer_id"] == customer_id].reset_index(drop=True),
               "provision_matrix": portfolio_matrix(portfolio)}
    facts = {"context": {}}
    for key, frame in context.items():
        files.append(EvidenceFile(CONTEXT_FILES[key], csv_bytes(frame), "Data", "context"))
        facts["context"][key] = {"file": CONTEXT_FILES[key], "dtypes": frame_dtypes(frame)}
    if previous and Path(previous).is_file():
        files.append(EvidenceFile("inputs/previous_summary.json", Path(previous).read_bytes(), "Data", "previous"))
    if order_log and Path(order_log).is_file():
        files.append(EvidenceFile("inputs/order_log.json", Path(order_log).read_bytes(), "Data", "order_log"))
    if not portfolio.policy_bytes:
        raise RiskbookError("the portfolio carries no policy file to attach (a snapshot from an older riskbook?)")
    files.append(EvidenceFile("policy.yaml", portfolio.policy_bytes, "Data", "policy"))
    facts["model"] = None
    if model:
        data = Path(model).read_bytes()
        artifact = json.loads(data)
        attach = len(data) <= MODEL_ATTACH_MAX_BYTES
        facts["model"] = {"version": artifact.get("model_version", ""), "checksum": artifact.get("checksum", ""),
                          "sha256": EvidenceFile("model/scorecard.json", data, "Data", "model").sha256,
                          "bytes": len(data), "attached": attach}
        if attach:
            files.append(EvidenceFile("model/scorecard.json", data, "Data", "model"))
    files += results_evidence(folder)
    return files, facts


def model_evidence(portfolio, folder: str | Path, *, notebooks: bool = True) -> tuple[list[EvidenceFile], dict]:
    """The files the model validation report attaches: the outcome history as read, the current customers'
    characteristics its stability section compares with, the policy, the artifact, the validation pack
    and (unless ``notebooks`` is false: a notebook rendering its own report is not finished) the executed
    notebook."""
    folder = Path(folder)
    files = []
    outcomes = portfolio.raw.get("outcomes")
    if outcomes is not None:
        files.append(EvidenceFile("inputs/outcomes.csv", csv_bytes(outcomes), "Data", "history"))
    current = portfolio_characteristics(portfolio).reset_index()
    files.append(EvidenceFile("context/characteristics.csv", csv_bytes(current), "Data", "context"))
    facts = {"context": {"characteristics": {"file": "context/characteristics.csv", "dtypes": frame_dtypes(current)}}}
    files.append(EvidenceFile("policy.yaml", portfolio.policy_bytes, "Data", "policy"))
    files.append(EvidenceFile("model/scorecard.json", (folder / "scorecard.json").read_bytes(), "Data", "model"))
    files += results_evidence(folder, notebooks=notebooks)
    return files, facts


def _source_facts(portfolio) -> dict:
    """What every manifest says of the data and policy a document rests on."""
    return {"data": {"source": portfolio.label, "tables_sha256": dict(portfolio.input_hashes)},
            "policy": {"version": portfolio.policy.policy_version, "sha256": portfolio.policy.sha256}}


def customer_manifest(portfolio, files: list[EvidenceFile], facts: dict, *, customer_id: str, name: str, lang: str,
                      notebooks: list[str], report_inputs_sha256: str, code_sha256: str, command: str):
    """The manifest builder (``fonts → dict``) of a customer report; ``facts`` from :func:`customer_evidence`."""
    as_of = f"{portfolio.as_of:%Y-%m-%d}"
    source = _source_facts(portfolio)
    source["data"]["report_inputs_sha256"] = report_inputs_sha256

    def manifest(fonts):
        return evidence_manifest(
            "customer_report", files, fonts, customer_id=customer_id, name=name, as_of=as_of, lang=lang,
            parameters={"customer_id": customer_id, "as_of": as_of, "lang": lang, "notebooks": notebooks},
            **source, model=facts["model"], context=facts["context"], code_sha256=code_sha256, command=command)

    return manifest


def model_manifest(portfolio, files: list[EvidenceFile], facts: dict, *, model_version: str, checksum: str,
                   lang: str, code_sha256: str = ""):
    """The manifest builder (``fonts → dict``) of a model validation report; ``facts`` from :func:`model_evidence`."""
    as_of = f"{portfolio.as_of:%Y-%m-%d}"

    def manifest(fonts):
        return evidence_manifest(
            "model_validation", files, fonts, as_of=as_of, lang=lang, parameters={"as_of": as_of, "lang": lang},
            **_source_facts(portfolio), model={"version": model_version, "checksum": checksum},
            context=facts["context"], code_sha256=code_sha256)

    return manifest

