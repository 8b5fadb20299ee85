"""Reading the contract tables as text from a folder of CSV files, an Excel workbook or a database,
and writing them back (to move a portfolio between sources).

Sources
-------
- a folder of CSV files named ``<table>.csv`` (UTF-8, header row), with ``policy.yaml`` beside them;
- one Excel workbook (``.xlsx``) with one sheet per table, ``policy.yaml`` in the same folder;
- an SQLAlchemy URL (``sqlite:///portfolio.db``, ``postgresql://...``) with one table per
  contract table; the policy file is passed explicitly.
"""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..config import file_sha256
from ..exceptions import InputError
from .contract import TABLES

__all__ = ["RawTable", "read_tables", "write_tables", "redact", "is_url", "source_label"]

@dataclass
class RawTable:
    """A table as read from its source: every cell text ('' for empty), with row numbers."""

    name: str
    frame: pd.DataFrame
    source: str
    rows: np.ndarray          # source row number of each record
    sha256: str = ""


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn every cell into stripped text, '' for empty (NaN, None, NaT)."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            txt = s.dt.strftime("%Y-%m-%d")
        else:
            txt = s.astype(object).map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                                       or v is pd.NaT else (v.isoformat()[:10] if hasattr(v, "isoformat")
                                                            else str(v)))
        out[str(col).strip()] = txt.fillna("").astype(str).str.strip()
    return pd.DataFrame(out, index=frame.index)


def _read_folder(folder: Path) -> dict[str, RawTable]:
    tables = {}
    for name in TABLES:
        path = folder / f"{name}.csv"
        if not path.exists():
            continue
        if not path.is_file():
            raise InputError(f"{path}: is not a file (a folder?); expected the {name} table as a CSV file")
        try:
            # keep blank lines while reading so that row numbers stay file line numbers
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                                skip_blank_lines=False)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError(f"{path}: cannot read as a UTF-8 CSV file: {exc}") from exc
        except OSError as exc:
            raise InputError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
        frame = _as_text(frame)
        rows = np.arange(len(frame)) + 2
        filled = (frame != "").any(axis=1).to_numpy()
        frame = frame[filled].reset_index(drop=True)
        tables[name] = RawTable(name, frame, path.name, rows[filled], file_sha256(path))
    return tables


def _read_workbook(path: Path) -> dict[str, RawTable]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl", keep_default_na=False)
    except Exception as exc:  # openpyxl raises many kinds
        raise InputError(f"{path}: cannot read as an Excel workbook: {exc}") from exc
    digest = file_sha256(path)
    return {name: RawTable(name, _as_text(sheets[name]), f"{path.name}[{name}]",
                           np.arange(len(sheets[name])) + 2, digest)
            for name in TABLES if name in sheets}


def _read_sql(url: str) -> dict[str, RawTable]:
    try:
        parsed = sa.engine.make_url(url)
        db = parsed.database or ""
        if parsed.get_backend_name() == "sqlite" and db not in ("", ":memory:") and not db.startswith("file:") \
                and not Path(db).is_file():
            raise InputError(f"data source not found: SQLite database {db} does not exist")
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            present = set(sa.inspect(conn).get_table_names())
            tables = {}
            for name in TABLES:
                if name not in present:
                    continue
                frame = pd.read_sql_query(sa.text(f'SELECT * FROM "{name}"'), conn)
                frame = _as_text(frame)
                digest = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
                tables[name] = RawTable(name, frame, f"{redact(url)}:{name}", np.arange(len(frame)) + 1, digest)
        engine.dispose()
    except (sa.exc.SQLAlchemyError, ImportError) as exc:  # ImportError: database driver not installed
        raise InputError(f"cannot read the database {redact(url)}: {exc}") from exc
    return tables


def redact(url: str) -> str:
    """Hide every password in a database URL: the user-info one (also with an empty user name) and a
    ``password=`` query parameter (libpq reads it too)."""
    url = re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", url)
    return re.sub(r"([?&](?:password|passwd|pwd)=)[^&#]*", r"\1***", url, flags=re.I)


def source_label(data: str | Path, cwd: str | Path | None = None) -> str:
    """How a report names a data source: never a machine path, never a password.

    A folder or workbook inside the working folder is named relative to it (``data/sample``), one
    outside it by its own name (``sample``); a database URL keeps its scheme, host and database only
    (no user, password, port or query), and an SQLite file path is shortened like a folder. Two machines that read the same data the same way name it alike, so
    the name does not change a report's bytes.
    """
    text = str(data)
    if is_url(text):
        url = redact(text)
        m = re.match(r"^(sqlite[^:]*:///)(.+)$", url)
        if m and not m.group(2).startswith((":memory:", "file:")):
            return m.group(1) + _relative_name(Path(m.group(2).split("?")[0]), cwd)
        if m:
            return url
        # a server: its scheme, host and database; no user, password, port or query (keys, options)
        m = re.match(r"^([a-zA-Z][a-zA-Z0-9+.\-]*://)(?:[^@/]*@)?([^:/?#]*)(?::\d+)?(/[^?#]*)?", url)
        return f"{m.group(1)}{m.group(2)}{m.group(3) or ''}" if m else url
    return _relative_name(Path(text), cwd)


def _relative_name(path: Path, cwd: str | Path | None) -> str:
    path = path.resolve() if path.is_absolute() or path.exists() else path
    base = Path(cwd or Path.cwd()).resolve()
    try:
        rel = path.relative_to(base) if path.is_absolute() else path
    except ValueError:
        return path.name
    return rel.as_posix() or "."


def is_url(data: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://", data))


def read_tables(data: str | Path) -> tuple[dict[str, RawTable], str]:
    """Read every contract table present in ``data`` as text.

    Parameters
    ----------
    data : str or Path
        A folder of CSV files, an ``.xlsx`` workbook, or an SQLAlchemy URL.

    Returns
    -------
    tables : dict of str to RawTable
        The tables found (absent optional tables are simply missing).
    kind : str
        ``"folder"``, ``"workbook"`` or ``"sql"``.

    Raises
    ------
    InputError
        When the source does not exist or cannot be read.
    """
    text = str(data)
    if is_url(text):
        return _read_sql(text), "sql"
    path = Path(text)
    if path.is_dir():
        return _read_folder(path), "folder"
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_workbook(path), "workbook"
    if not path.exists():
        raise InputError(f"data source not found: {path}")
    raise InputError(f"unsupported data source {path}: expected a folder of CSV files, an .xlsx "
                     "workbook or an SQLAlchemy URL such as sqlite:///portfolio.db")



def write_tables(tables: dict[str, pd.DataFrame], target: str | Path) -> None:
    """Write contract tables to a folder of CSVs, an ``.xlsx`` workbook or an SQL URL.

    A convenience for moving a portfolio between the supported sources (and for tests).
    """
    text = str(target)
    if is_url(text):
        engine = sa.create_engine(text)
        with engine.begin() as conn:
            for name, frame in tables.items():
                frame.to_sql(name, conn, index=False, if_exists="replace")
        engine.dispose()
        return
    path = Path(text)
    if path.suffix.lower() == ".xlsx":
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as xw:
            for name, frame in tables.items():
                frame.to_excel(xw, sheet_name=name, index=False)
        path.write_bytes(buf.getvalue())
        return
    path.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(path / f"{name}.csv", index=False)


