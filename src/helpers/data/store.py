"""How notebooks save their results and the renderer loads them.

A customer's output folder holds ``results/<section>.json`` (data) and ``results/<name>.svg``
(vector charts). Every write goes to a temporary file first and is then renamed, so a reader
never sees half a file.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import REPORTS_DIR, safe_name

__all__ = ["customer_output_dir", "model_output_dir", "model_path", "to_jsonable", "json_bytes", "write_json", "read_json", "save_result", "save_chart", "show_chart", "load_results",
           "atomic_write_bytes", "load_previous", "load_order_log"]


def to_jsonable(obj):
    """Convert numpy, pandas and date values to plain JSON types; NaN and inf become ``None``."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return [to_jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return to_jsonable(obj.to_dict())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    if obj is pd.NaT:
        return None
    if isinstance(obj, (pd.Timestamp, dt.datetime, dt.date)):
        return obj.strftime("%Y-%m-%d")
    if hasattr(obj, "to_dict") and not isinstance(obj, type):
        return to_jsonable(obj.to_dict())
    return obj


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def json_bytes(data) -> bytes:
    """``data`` as the bytes :func:`write_json` writes: pretty UTF-8 JSON, NaN as null."""
    text = json.dumps(to_jsonable(data), ensure_ascii=False, indent=2, allow_nan=False)
    return (text + "\n").encode("utf-8")


def write_json(path: str | Path, data) -> Path:
    """Write ``data`` as pretty, UTF-8 JSON atomically (NaN written as null)."""
    return atomic_write_bytes(path, json_bytes(data))


def read_json(path: str | Path):
    """Read a JSON file written by :func:`write_json`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def customer_output_dir(output_dir: str | Path | None, customer_id: str) -> Path:
    """The folder a notebook saves into: ``output_dir`` when given, else ``reports/<customer_id>``."""
    return Path(output_dir) if output_dir else REPORTS_DIR / safe_name(customer_id)


def model_output_dir(output_dir: str | Path | None) -> Path:
    """The folder the model notebook saves into: ``output_dir`` when given, else ``reports/model``."""
    return Path(output_dir) if output_dir else REPORTS_DIR / "model"


def model_path(model: str | Path | None) -> Path:
    """The scorecard artifact to score with: ``model`` when given, else ``reports/model/scorecard.json``."""
    return Path(model) if model else model_output_dir(None) / "scorecard.json"


def save_result(output_dir: str | Path, section: str, data: dict) -> Path:
    """Save one notebook section's results as ``<output_dir>/results/<section>.json``.

    Parameters
    ----------
    output_dir : str or Path
        The customer's output folder.
    section : str
        Section name, e.g. ``"financial_analysis"``.
    data : dict
        JSON-able data (DataFrames become lists of records). A ``summary`` key, when present,
        is merged into the customer's ``summary.json`` by the runner.
    """
    return write_json(Path(output_dir) / "results" / f"{section}.json", data)


#: How charts are written: text stays text (``svg.fonttype: none``), so the PDF's charts are searchable and
#: WeasyPrint draws a few hundred ``<text>`` nodes instead of thousands of glyph outlines (about half the
#: time per chart); ids are salted, so the same chart gives the same bytes.
SVG_SETTINGS = {"svg.fonttype": "none", "svg.hashsalt": "riskbook"}


def save_chart(output_dir: str | Path, name: str, figure) -> Path:
    """Save a matplotlib figure as vector SVG ``<output_dir>/results/<name>.svg`` and close it."""
    import matplotlib.pyplot as plt  # only notebooks that draw charts need matplotlib loaded

    buf = io.BytesIO()
    with plt.rc_context(SVG_SETTINGS):
        figure.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return atomic_write_bytes(Path(output_dir) / "results" / f"{name}.svg", buf.getvalue())


def show_chart(output_dir: str | Path, name: str, figure):
    """Save a chart as :func:`save_chart` does and return it for ``display()``: the notebook shows the very
    SVG the PDF embeds, and the figure is drawn once (not again as a PNG by the inline backend)."""
    from IPython.display import SVG

    return SVG(data=save_chart(output_dir, name, figure).read_text(encoding="utf-8"))


def load_results(output_dir: str | Path) -> dict:
    """Load every ``results/*.json`` of a customer folder as ``{section: data}``."""
    folder = Path(output_dir) / "results"
    return {p.stem: read_json(p) for p in sorted(folder.glob("*.json"))}


def load_order_log(path: str | Path | None) -> dict | None:
    """The batch's extract of the decision log for one customer (``order_log.json``), or None when the
    batch had no decision log (``path`` empty)."""
    if not path:
        return None
    data = read_json(path)
    return data if isinstance(data, dict) and isinstance(data.get("entries"), list) else None


def load_previous(path: str | Path | None) -> dict | None:
    """A customer's ``summary.json`` of an earlier run, when ``path`` names a finished one (status ``ok``);
    None when there is none, it failed, or it cannot be read (a first run has no previous)."""
    if not path:
        return None
    try:
        s = read_json(path)
    except (OSError, ValueError):
        return None
    return s if isinstance(s, dict) and s.get("status") == "ok" else None
