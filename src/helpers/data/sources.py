"""Reading the contract tables as text from a folder of CSV files, an Excel workbook or a database,
and writing them back (to move a portfolio between sources).

Sources
-------
- a folder of CSV files named ``<table>.csv`` (header row; UTF-8 unless the policy's ``input`` section
  declares another encoding or it is detected without doubt), with ``policy.yaml`` beside them;
- one Excel workbook (``.xlsx``) with one sheet per table, ``policy.yaml`` in the same folder;
- an SQLAlchemy URL (``sqlite:///portfolio.db``, ``postgresql://...``) with one table per
  contract table, optionally in a named schema; the policy file is passed explicitly.

Every cell becomes stripped text (``''`` for empty) and every record keeps the row number a user finds
it at: the CSV line where the record starts (a quoted cell may span lines), the sheet row, the SQL row's
ordinal. Blank lines and blank sheet rows are skipped. What concerns a table as a whole and can be said
with a place (a repeated or unnamed column, a row with more cells than the header, a file that is not
UTF-8) becomes a :class:`~helpers.exceptions.Problem` on the table, reported with the validation; what
stops the reading of a source altogether raises :class:`~helpers.exceptions.InputError`.
"""
from __future__ import annotations

import codecs
import csv
import decimal
import hashlib
import io
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
import numpy as np
import openpyxl
import pandas as pd
import sqlalchemy as sa
from openpyxl.utils import get_column_letter

from ..config import file_sha256
from ..config.policy import InputSettings
from ..exceptions import InputError, Problem, printable
from .contract import TABLES

__all__ = ["RawTable", "read_tables", "write_tables", "redact", "is_url", "source_kind", "source_label",
           "select_table"]

#: The encodings a CSV file may be detected in when it is not UTF-8: Unicode with a byte-order mark (Excel's
#: "Unicode text") and the multi-byte code pages of East Asian Windows (GBK/GB18030 of Chinese Windows, Big5,
#: Shift-JIS, Korean). Their byte structure can be recognized; a single-byte code page (cp1252, cp1251, ...)
#: turns any bytes into some text, so it cannot be told from another one and must be declared.
_DETECTABLE = ("utf_16", "utf_32", "gb18030", "big5", "cp932", "cp949")
#: How sure a detected encoding must be. charset-normalizer's *chaos* (0 clean text … 1 noise) of the best
#: reading must not exceed the first number, and every other reading that decodes to a different text
#: must be worse by more than the second: otherwise the bytes could be either, and nothing is guessed.
_MAX_CHAOS, _RIVAL_MARGIN = 0.1, 0.1
_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "a tab"}
_DELIMITER_YAML = {",": '","', ";": '";"', "\t": '"\\t"'}


@dataclass
class RawTable:
    """A table as read from its source: every cell text ('' for empty), with row numbers.

    Attributes
    ----------
    name : str
        The contract table.
    frame : DataFrame
        One column per header name, one row per non-blank record, every cell stripped text.
    source : str
        The file, ``workbook[sheet]`` or redacted ``url:table`` it came from.
    rows : ndarray of int
        Where each record is: the CSV line it starts on (header = line 1), the sheet row, or the
        1-based ordinal of the SQL row.
    sha256 : str
        Digest of the file (of the table's text for SQL).
    encoding : str
        The codec a CSV file was decoded with (``utf-8`` also for a file with a byte-order mark);
        ``""`` for workbooks and databases, which store text as text.
    problems : list of Problem
        What was found while reading (repeated or unnamed columns, rows with extra cells, a file that is
        not UTF-8); :func:`~helpers.data.validate.validate_tables` reports them first.
    numeric : dict of str to ndarray of bool
        Per column, the cells the source stored as numbers (workbook and database cells): their text is
        written with ``.`` as decimal point and no thousands mark, whatever the policy's ``input`` marks
        declare for numbers written as text.
    """

    name: str
    frame: pd.DataFrame
    source: str
    rows: np.ndarray          # source row number of each record
    sha256: str = ""
    encoding: str = ""
    problems: list[Problem] = field(default_factory=list)
    numeric: dict[str, np.ndarray] = field(default_factory=dict)


def _cell_text(v) -> str:
    """One cell as stripped text, '' for empty (None, NaN, NaT); dates as YYYY-MM-DD."""
    if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    return str(v).strip()


def _is_number(v) -> bool:
    """Whether the source stored ``v`` as a number (not as text, not as a boolean)."""
    return isinstance(v, (int, float, decimal.Decimal, np.integer, np.floating)) and \
        not isinstance(v, (bool, np.bool_))


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn every cell into stripped text, '' for empty (NaN, None, NaT)."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            txt = s.dt.strftime("%Y-%m-%d")
        else:
            txt = s.astype(object).map(_cell_text)
        out[str(col).strip()] = txt.fillna("").astype(str).str.strip()
    return pd.DataFrame(out, index=frame.index)


# --------------------------------------------------------------------------- CSV: encoding
def _line_of(data: bytes, offset: int, codec: str) -> int:
    return data[:offset].decode(codec, "replace").count("\n") + 1


def _declare_hint(path: Path) -> str:
    return (f"save {path.name} as UTF-8 (in Excel: Save As → 'CSV UTF-8'), or declare its encoding in the policy: "
            "input: {encoding: gb18030} (or cp1252 for Western European Windows, cp1251, big5, utf-16, ...)")


def _decode(data: bytes, path: Path, declared: str) -> tuple[str, str]:
    """The text of a CSV file and the codec it was read with: the declared one, else UTF-8 (with or
    without a byte-order mark), else one that charset-normalizer detects without doubt."""
    if declared != "auto":
        codec = codecs.lookup(declared).name
        try:
            return data.decode(codec).removeprefix("\ufeff"), codec
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: cannot be read as {declared} (the policy's input.encoding): the bytes "
                             f"{data[exc.start:exc.end]!r} on line {_line_of(data, exc.start, codec)} are not "
                             f"{declared}; declare the file's real encoding, or auto") from None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc
    loose = data.decode("utf-8", "replace")
    bad = loose.count("\ufffd")
    if sum(ord(ch) > 127 for ch in loose) - bad > bad:  # mostly UTF-8: a damaged file, not another encoding
        raise InputError(f"{path}: not valid UTF-8: the bytes {data[first_bad.start:first_bad.end]!r} on line "
                         f"{_line_of(data, first_bad.start, 'utf-8')} are not UTF-8 while the rest of the file is "
                         "(a damaged cell, or text pasted from another file?); fix that line and save as UTF-8")
    matches = charset_normalizer.from_bytes(data, cp_isolation=list(_DETECTABLE))
    best = matches.best()
    if best is None:
        raise InputError(f"{path}: not UTF-8 (the bytes {data[first_bad.start:first_bad.end]!r} on line "
                         f"{_line_of(data, first_bad.start, 'latin-1')}), and not in an encoding that can be "
                         "recognized for sure (a Western or Cyrillic code page cannot be told from another one); "
                         + _declare_hint(path))
    text = str(best)
    codec = codecs.lookup(best.encoding).name
    try:
        strict = data.decode(codec).removeprefix("\ufeff")
    except UnicodeDecodeError:
        strict = None
    noisy = best.chaos > _MAX_CHAOS or strict != text.removeprefix("\ufeff") or "\ufffd" in text or \
        any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text)
    rivals = sorted({codecs.lookup(m.encoding).name for m in matches
                     if m is not best and m.chaos <= best.chaos + _RIVAL_MARGIN and str(m) != text})
    if noisy or rivals:
        could = ", ".join([codec, *rivals][:6])
        raise InputError(f"{path}: not UTF-8, and its encoding cannot be told for sure (it could be {could}); "
                         "nothing is guessed: " + _declare_hint(path))
    return strict, codec


# --------------------------------------------------------------------------- CSV: records
def _records(text: str, path: Path, delimiter: str) -> list[tuple[int, list[str]]]:
    """(line where the record starts, its cells) of every record; blank lines and records of blank cells
    are left out. The line counts physical lines, so a quoted cell with line breaks moves the next ones."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    out, before = [], 0
    try:
        for cells in reader:
            start, before = before + 1, reader.line_num
            if "".join(cells).strip():
                out.append((start, cells))
    except csv.Error as exc:
        line = before + 1
        hint = ("a quoted cell is not closed before the end of the file" if "end of data" in str(exc) else
                f"{exc} (a '\"' inside a quoted cell is written twice: \"\")")
        raise InputError(f"{path} line {line}: cannot split the line into cells: {hint}") from None
    return out


def _check_delimiter(header: list[str], first_line: str, path: Path, name: str, delimiter: str) -> None:
    """A header that names the contract's columns only when split at another separator than the declared one
    is a file written with that separator: say so, rather than read one column of everything."""
    known = set(TABLES[name].names)
    if sum(c.strip() in known for c in header) > 1:
        return
    for other in (";", "\t", ","):
        if other == delimiter:
            continue
        cells = next(csv.reader([first_line], delimiter=other))
        if sum(c.strip().lstrip("\ufeff") in known for c in cells) > 1:
            raise InputError(f"{path}: the header row separates its columns with {_DELIMITER_NAMES[other]}, not "
                             f"{_DELIMITER_NAMES[delimiter]} ({printable(first_line[:60])}...); declare it in the "
                             f"policy: input: {{delimiter: {_DELIMITER_YAML[other]}}} (and, for numbers with a "
                             "decimal comma, decimal: \",\" and thousands: \".\")")


def _columns(header: list, source: str, name: str, values: list[list]) -> tuple[list[int], list[str], list[Problem]]:
    """The positions and names of the columns to keep, and the problems of the header row: a name given
    twice (the first is kept) and values under a column without a name (blank, unused columns are dropped).
    ``values`` are the records' cells, to tell an unused unnamed column from one that holds data."""
    problems: list[Problem] = []
    seen: dict[str, list[int]] = {}
    keep, names = [], []
    for i, cell in enumerate(header):
        label = _cell_text(cell).lstrip("\ufeff").strip()
        if label == "":
            used = [r for r in values if i < len(r) and _cell_text(r[i]) != ""]
            if used:
                problems.append(Problem("error", name, "", None, None, "",
                                        f"column {_position(i, source)} has values but no name in the header row; "
                                        "name it or remove it", source, "unnamed_column",
                                        {"position": _position(i, source)}))
            continue
        seen.setdefault(label, []).append(i)
        if len(seen[label]) == 1:
            keep.append(i)
            names.append(label)
    for label, where in seen.items():
        if len(where) > 1:
            cols = ", ".join(_position(i, source) for i in where[:-1]) + " and " + _position(where[-1], source)
            problems.append(Problem("error", name, label, None, None, "",
                                    f"column '{printable(label)}' appears more than once (columns {cols}); keep one",
                                    source, "repeated_column", {"column": printable(label),
                                                                "positions": [_position(i, source) for i in where]}))
    return keep, names, problems


def _position(i: int, source: str) -> str:
    """Column ``i`` (0-based) as a user counts it: 5 in a CSV file, 5 (E) in a sheet."""
    return f"{i + 1} ({get_column_letter(i + 1)})" if source.endswith("]") else str(i + 1)


def _table(name: str, source: str, header: list, records: list[tuple[int, list]], digest: str,
           encoding: str = "") -> RawTable:
    """A RawTable from a header row and numbered records (CSV cells, which are text, or sheet values)."""
    keep, names, problems = _columns(header, source, name, [cells for _, cells in records])
    width = len(header)
    rows, kept = [], []
    for line, cells in records:
        if len(cells) > width:  # cells beyond the header: which value belongs where is unknown, so none is read
            shown = " | ".join(printable(_cell_text(c)) for c in cells)
            problems.append(Problem("error", name, "", line, None, shown if len(shown) <= 120 else shown[:117] + "...",
                                    f"the row has {len(cells)} cells but the header has {width} columns, so its "
                                    "values cannot be matched to columns and the row is not read: a value holding "
                                    "the separator must be quoted (\"Acme, Ltd\")", source, "extra_cells",
                                    {"cells": len(cells), "columns": width}))
            continue
        if len(cells) < width:
            cells = list(cells) + [None] * (width - len(cells))
        values = [cells[i] for i in keep]
        if all(_cell_text(v) == "" for v in values):  # only values under unnamed columns (reported above)
            continue
        rows.append(line)
        kept.append(values)
    columns = list(zip(*kept)) if kept else [()] * len(names)
    numeric, data = {}, {}
    for n, values in zip(names, columns):
        if encoding:  # a CSV file: every cell is text already
            data[n] = [v.strip() if v is not None else "" for v in values]
        else:
            stored = np.fromiter((_is_number(v) for v in values), dtype=bool, count=len(values))
            if stored.any():
                numeric[n] = stored
            data[n] = [_cell_text(v) for v in values]
    frame = pd.DataFrame({n: pd.Series(v, dtype=str) for n, v in data.items()})
    if encoding not in ("", "utf-8"):
        problems.insert(0, Problem("warning", name, "", None, None, encoding,
                                   f"read as {encoding}, not UTF-8; saving it as UTF-8 avoids any doubt", source,
                                   "encoding", {"file": source, "encoding": encoding}))
    return RawTable(name, frame, source, np.array(rows, dtype=int), digest, encoding, problems, numeric)


def _read_csv(path: Path, name: str, settings: InputSettings) -> RawTable:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    text, encoding = _decode(data, path, settings.encoding)
    records = _records(text, path, settings.delimiter)
    if not records:
        raise InputError(f"{path}: the file is empty; expected a header row with the columns of {name} "
                         "(see docs/data-contract.md)")
    (_, header), body = records[0], records[1:]
    first_line = io.StringIO(text.lstrip("\ufeff"), newline="").readlines()[records[0][0] - 1].rstrip("\r\n")
    _check_delimiter(header, first_line, path, name, settings.delimiter)
    return _table(name, path.name, header, body, file_sha256(path), encoding)


def _read_folder(folder: Path, settings: InputSettings) -> dict[str, RawTable]:
    tables = {}
    for name in TABLES:
        path = folder / f"{name}.csv"
        if not path.exists():
            continue
        if not path.is_file():
            raise InputError(f"{path}: is not a file (a folder?); expected the {name} table as a CSV file")
        tables[name] = _read_csv(path, name, settings)
    return tables


# --------------------------------------------------------------------------- Excel
def _read_workbook(path: Path) -> dict[str, RawTable]:
    try:
        book = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zipfile, KeyError, XML errors)
        raise InputError(f"{path}: cannot read as an Excel workbook: {exc}") from exc
    digest = file_sha256(path)
    tables = {}
    try:
        for name in TABLES:
            if name not in book.sheetnames:
                continue
            records = [(row, list(values)) for row, values in enumerate(book[name].iter_rows(values_only=True), 1)
                       if any(_cell_text(v) != "" for v in values)]
            source = f"{path.name}[{name}]"
            if not records:
                raise InputError(f"{path}: sheet {name} is empty; expected a header row with the columns of "
                                 f"{name} (see docs/data-contract.md)")
            (_, header), body = records[0], records[1:]
            tables[name] = _table(name, source, header, body, digest)
    finally:
        book.close()
    return tables


# --------------------------------------------------------------------------- SQL
def select_table(name: str, schema: str | None = None) -> sa.Select:
    """``SELECT * FROM <schema>.<name>`` with both names quoted by the database's own dialect
    (``"name"`` in PostgreSQL and SQLite, ```name``` in MySQL, ``[name]`` in SQL Server)."""
    quoted = sa.sql.quoted_name(name, quote=True)
    space = None if schema is None else sa.sql.quoted_name(schema, quote=True)
    return sa.select(sa.text("*")).select_from(sa.table(quoted, schema=space))


def _secrets(url: str) -> list[str]:
    """Every password a URL carries, as written and decoded: the user-info one (up to the last '@', as a
    user means it even with an unencoded '@'; and as SQLAlchemy splits it) and ``password=`` parameters."""
    found = []
    m = re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/]*:(.*)@", url)
    if m:
        found.append(m.group(1))
        found.extend(m.group(1).split("@"))
    found.extend(v.strip("{}") for _, v in re.findall(_PASSWORD_PARAM, url, flags=re.I))
    try:
        parsed = sa.engine.make_url(url)
        found.append(parsed.password or "")
        found.extend(str(v) for k, v in parsed.query.items() if re.search(r"passw|pwd", k, re.I))
    except Exception:  # noqa: BLE001 an unparsable URL: the raw forms above are all there is
        pass
    forms = set()
    for s in found:
        for f in (s, urllib.parse.unquote(s), urllib.parse.unquote_plus(s), urllib.parse.quote(s, safe=""),
                  urllib.parse.quote_plus(s)):
            if len(f) >= 3:
                forms.add(f)
    return sorted(forms, key=len, reverse=True)


def _scrub(text: str, url: str) -> str:
    """``text`` without any password of ``url``, in any of its forms (drivers may echo connection parameters),
    nor any other ``password=`` value."""
    for secret in _secrets(url):
        text = text.replace(secret, "***")
    return re.sub(_PASSWORD_PARAM, r"\1***", text, flags=re.I)


def _sql_error(url: str, exc: BaseException) -> InputError:
    """The database's or driver's own words, one line, without any password of ``url``."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return InputError(_scrub(f"cannot read the database {redact(url)}: {detail}", url))


def _read_sql(url: str, schema: str | None = None) -> dict[str, RawTable]:
    try:
        parsed = sa.engine.make_url(url)
        if parsed.host and "@" in parsed.host:
            raise InputError(f"{redact(url)}: the part before the host holds more than one '@': write an '@' in a "
                             "user name or password as %40")
        db = parsed.database or ""
        if parsed.get_backend_name() == "sqlite" and db not in ("", ":memory:") and not db.startswith("file:") \
                and not Path(db).is_file():
            raise InputError(f"data source not found: SQLite database {db} does not exist")
        engine = sa.create_engine(parsed)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 a malformed URL (ValueError for a port), an unknown dialect, no driver
        raise _sql_error(url, exc) from None
    where = f"{redact(url)}:" + (f"{schema}." if schema else "")
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            if schema is not None and schema not in inspector.get_schema_names():
                raise InputError(f"{redact(url)}: the database has no schema {schema!r} "
                                 f"(it has: {', '.join(inspector.get_schema_names())})")
            present = set(inspector.get_table_names(schema=schema))
            tables = {}
            for name in TABLES:
                if name not in present:
                    continue
                frame = pd.read_sql_query(select_table(name, schema), conn)
                stored = {str(c).strip(): frame[c].map(_is_number).to_numpy(bool) for c in frame.columns}
                numeric = {c: m for c, m in stored.items() if m.any()}
                frame = _as_text(frame)
                digest = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
                tables[name] = RawTable(name, frame, f"{where}{name}", np.arange(len(frame)) + 1, digest,
                                        numeric=numeric)
    except InputError:
        raise
    except (sa.exc.SQLAlchemyError, ImportError, ValueError, OSError) as exc:  # ImportError: no database driver
        raise _sql_error(url, exc) from None
    finally:
        engine.dispose()
    return tables


#: A password parameter of a URL's query, also inside an encoded connection string (``odbc_connect=...%3BPWD%3D...``):
#: the key (``password``, ``passwd``, ``pwd``, ``sslpassword``, ``db_password``, ...) and its value.
_PASSWORD_PARAM = (r"((?:[?&;]|%3[bB]|%26|%3[fF])[\w.\-]*(?:passw(?:or)?d|pwd)(?:=|%3[dD]))"
                   r"(\{[^}]*\}|(?:[^&#;%]|%(?!3[bB]|26)[0-9a-fA-F]{2})*)")


def redact(url: str) -> str:
    """Hide every password in a database URL.

    The user-info password (also with an empty user name, and up to the last ``@``, so that a password
    with an unencoded ``@`` is hidden whole), and every password parameter of the query (``password=``,
    ``passwd=``, ``pwd=``, ``sslpassword=``, ... ; libpq and ODBC read them), also inside a URL-encoded
    connection string such as ``odbc_connect=DRIVER%3D...%3BPWD%3Dsecret``.
    """
    url = re.sub(r"://([^:/]*):.*@", r"://\1:***@", url)
    return re.sub(_PASSWORD_PARAM, r"\1***", url, flags=re.I)


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
    """Whether ``data`` is a URL (``scheme://...``) rather than a path."""
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://", data))


def source_kind(data: str | Path) -> str:
    """What ``data`` is: ``"sql"`` (a URL), ``"folder"`` or ``"workbook"``; an InputError otherwise."""
    text = str(data)
    if is_url(text):
        return "sql"
    path = Path(text)
    if path.is_dir():
        return "folder"
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
        return "workbook"
    if not path.exists():
        raise InputError(f"data source not found: {path}")
    raise InputError(f"unsupported data source {path}: expected a folder of CSV files, an .xlsx "
                     "workbook or an SQLAlchemy URL such as sqlite:///portfolio.db")


def read_tables(data: str | Path, *, schema: str | None = None,
                settings: InputSettings | None = None) -> tuple[dict[str, RawTable], str]:
    """Read every contract table present in ``data`` as text.

    Parameters
    ----------
    data : str or Path
        A folder of CSV files, an ``.xlsx`` workbook, or an SQLAlchemy URL.
    schema : str, optional
        For a database: the schema (PostgreSQL, SQL Server) or database (MySQL) that holds the tables;
        the connection's default when None.
    settings : InputSettings, optional
        The policy's ``input`` section: the encoding and separator of CSV files (numbers' marks are
        applied by the validation). The defaults when None: UTF-8 or a sure detection, ``,``.

    Returns
    -------
    tables : dict of str to RawTable
        The tables found (absent optional tables are simply missing).
    kind : str
        ``"folder"``, ``"workbook"`` or ``"sql"``.

    Raises
    ------
    InputError
        When the source does not exist or cannot be read: a file in an encoding that is neither declared
        nor sure, a header separated by another character than the declared one, an unclosed quote, a
        database that cannot be reached (the message never holds its password).
    """
    settings = settings or InputSettings()
    kind = source_kind(data)
    if schema is not None and kind != "sql":
        raise InputError(f"schema={schema!r} is for a database; {data} is a {kind}")
    if kind == "sql":
        return _read_sql(str(data), schema), kind
    if kind == "folder":
        return _read_folder(Path(data), settings), kind
    return _read_workbook(Path(data)), kind


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


