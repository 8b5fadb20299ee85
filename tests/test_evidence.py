"""The pieces that keep machine paths, passwords and clocks out of a report and read its evidence
back: source labels, the recorded command line, notebook normalization, the CSV round trip of the
context frames and the JSON comparison of ``riskbook verify``. Fast: no batch."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.cli import _portable
from helpers.data.sources import source_label
from helpers.report.evidence import csv_bytes, frame_dtypes, normalize_notebook, read_frame
from helpers.pipeline.verify import compare_json


# ---- source_label

def test_source_label_inside_cwd_is_relative_posix(tmp_path):
    """A folder inside the working folder is named by its relative POSIX path, not its absolute one."""
    data = tmp_path / "data" / "sample"
    data.mkdir(parents=True)
    assert source_label(data, cwd=tmp_path) == "data/sample"
    assert source_label(str(data), cwd=tmp_path) == "data/sample"


def test_source_label_relative_argument_stays_relative(tmp_path, monkeypatch):
    """A relative path given on the command line is named as given (relative to the working folder)."""
    (tmp_path / "d").mkdir()
    monkeypatch.chdir(tmp_path)
    assert source_label("d") == "d"
    assert source_label("./d/") == "d"


def test_source_label_outside_cwd_is_its_name(tmp_path):
    """A folder or workbook outside the working folder is named by its own name only."""
    inside, outside = tmp_path / "work", tmp_path / "elsewhere" / "portfolio"
    inside.mkdir()
    outside.mkdir(parents=True)
    assert source_label(outside, cwd=inside) == "portfolio"
    assert source_label("/abs/elsewhere/book.xlsx", cwd=inside) == "book.xlsx"


def test_source_label_redacts_the_password():
    """A database URL is named by its scheme, host and database: no password, user, port or query."""
    assert source_label("postgresql://u:secret@host/db") == "postgresql://host/db"
    assert source_label("postgresql+psycopg://u:secret@host:5432/db?sslmode=require") == "postgresql+psycopg://host/db"
    assert source_label("mysql://alice:pw@db/credit?ssl_key=/home/alice/k.pem") == "mysql://db/credit"


def test_source_label_shortens_sqlite_paths(tmp_path):
    """An SQLite file outside the working folder is named by its file name; inside, relatively."""
    assert source_label("sqlite:////abs/path/x.db", cwd=tmp_path) == "sqlite:///x.db"
    (tmp_path / "db").mkdir()
    assert source_label(f"sqlite:///{tmp_path}/db/x.db", cwd=tmp_path) == "sqlite:///db/x.db"
    assert source_label("sqlite:///:memory:", cwd=tmp_path) == "sqlite:///:memory:"


@pytest.mark.parametrize("url", ["postgresql://:secret@host/db", "postgresql://u@host/db?password=secret"])
def test_source_label_redacts_every_password_form(url):
    """SQLAlchemy reads a password from these URLs too (empty user name; libpq's query parameter),
    so the label must not show it either."""
    assert "secret" not in source_label(url)


# ---- the recorded command line

def test_portable_drops_out_and_relabels_data(tmp_path, monkeypatch):
    """The recorded command has no --out (nor its value) and names --data as source_label does."""
    monkeypatch.chdir(tmp_path)
    argv = ["batch", "--out", "/tmp/a", "--data", "/abs/elsewhere/d", "--customers", "X"]
    assert _portable(argv) == ["batch", "--data", "d"]


def test_portable_keeps_only_what_changes_a_report(tmp_path, monkeypatch):
    """Which customers, how many workers, the scheduler's address, progress and timeouts do not change a
    report, so they are not recorded (nor other customers' ids); the as-of date and the language are."""
    monkeypatch.chdir(tmp_path)
    argv = ["batch", "--customers", "A,B", "--workers", "2", "--scheduler", "tcp://10.0.0.5:8786", "--no-progress",
            "--force", "--timeout", "60", "--fresh-kernels", "--as-of", "2026-09-30", "--lang", "zh"]
    assert _portable(argv) == ["batch", "--as-of", "2026-09-30", "--lang", "zh"]


def test_portable_equals_forms(tmp_path, monkeypatch):
    """``--out=/x`` is dropped whole; ``--data=…``, ``--policy`` and ``--model=…`` are relabelled."""
    monkeypatch.chdir(tmp_path)
    argv = ["batch", "--out=/x", "--data=/abs/elsewhere/d", "--policy", "/abs/p/policy.yaml",
            "--model=/abs/m/scorecard.json", "--as-of", "2026-09-30"]
    assert _portable(argv) == ["batch", "--data=d", "--policy", "policy.yaml", "--model=scorecard.json",
                               "--as-of", "2026-09-30"]
    assert _portable(["batch", "--customers", "A", "--out"]) == ["batch"]


def test_portable_same_for_two_output_folders(tmp_path, monkeypatch):
    """Two runs that differ only in where their reports go record the same command."""
    monkeypatch.chdir(tmp_path)
    a = _portable(["batch", "--data", "/x/one/sample", "--out", "/tmp/first"])
    b = _portable(["batch", "--data", "/y/two/sample", "--out=/var/second"])
    assert a == b == ["batch", "--data", "sample"]


def test_abbreviated_options_are_refused():
    """argparse would take ``--o`` for ``--out`` and ``--dat`` for ``--data``, and the recorded command
    would then keep their absolute paths: the command refuses abbreviations instead."""
    from helpers.cli import _parser

    for argv in (["batch", "--o", "/tmp/a"], ["batch", "--dat", "/abs/elsewhere/d"], ["verify", "x.pdf", "--pol", "p"]):
        with pytest.raises(SystemExit):
            _parser().parse_args(argv)
    assert _parser().parse_args(["batch", "--out", "/tmp/a"]).out == "/tmp/a"


# ---- normalize_notebook

STAGING = "/srv/run/out/.CASE1.staging-123-456"
OUT = "/srv/run/out"
SNAPSHOT = "/srv/run/out/.cache/abc.portfolio.pkl"


def _notebook(seed: int, staging: str = STAGING) -> dict:
    """An executed notebook as papermill writes it: timings that change every run, an injected
    parameters cell with a random id and absolute paths in the parameters and the source."""
    rng = np.random.default_rng(seed)
    t = f"2026-12-0{seed % 9 + 1}T10:{seed % 60:02d}:00.{seed:06d}"
    pm = {"start_time": t, "end_time": t, "duration": float(rng.random()), "status": "completed"}
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "papermill": {"start_time": t, "end_time": t, "duration": float(rng.random()) * 10,
                          "exception": None, "input_path": "/srv/riskbook/notebooks/monitoring.ipynb",
                          "output_path": f"{staging}/notebooks/monitoring.ipynb",
                          "environment_variables": {"HOME": "/root"}, "version": "2.7.0",
                          "parameters": {"customer_id": "CASE1", "output_dir": staging, "data": SNAPSHOT}},
        },
        "cells": [
            {"cell_type": "code", "id": "parameters", "execution_count": 1, "outputs": [], "source": "customer_id = None",
             "metadata": {"tags": ["parameters"], "papermill": dict(pm),
                          "execution": {"iopub.execute_input": t, "shell.execute_reply": t}}},
            {"cell_type": "code", "id": f"{rng.integers(1 << 62):016x}", "execution_count": 2, "outputs": [],
             "source": f'customer_id = "CASE1"\noutput_dir = "{staging}"\ndata = "{SNAPSHOT}"\n',
             "metadata": {"tags": ["injected-parameters"], "papermill": dict(pm)}},
            {"cell_type": "code", "id": "work", "execution_count": 3,
             "outputs": [{"output_type": "stream", "name": "stdout", "text": f"wrote {staging}/results/monitoring.json\n"}],
             "source": "print('x')", "metadata": {"papermill": dict(pm)}},
        ],
    }


REPLACEMENTS = {STAGING: "<out>/CASE1", OUT: "<out>", SNAPSHOT: "<snapshot>"}


def test_normalize_notebook_removes_timings_ids_and_paths(tmp_path):
    """Timings go, the injected cell's random id becomes ``injected-parameters``, and every absolute
    path is replaced by its logical name (the longest first, so the staging folder is not half
    replaced by the output folder); the file is rewritten with the bytes returned."""
    path = tmp_path / "monitoring.ipynb"
    path.write_text(json.dumps(_notebook(1)), encoding="utf-8")
    data = normalize_notebook(path, REPLACEMENTS)
    assert path.read_bytes() == data
    nb = json.loads(data)
    pm = nb["metadata"]["papermill"]
    for key in ("start_time", "end_time", "duration", "input_path", "output_path", "environment_variables"):
        assert key not in pm
        for cell in nb["cells"]:
            assert key not in cell["metadata"].get("papermill", {})
    assert pm["version"] == "2.7.0" and pm["parameters"]["output_dir"] == "<out>/CASE1"
    assert pm["parameters"]["data"] == "<snapshot>"
    assert all("execution" not in c["metadata"] for c in nb["cells"])
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert [c["id"] for c in injected] == ["injected-parameters"]
    assert injected[0]["source"] == 'customer_id = "CASE1"\noutput_dir = "<out>/CASE1"\ndata = "<snapshot>"\n'
    assert nb["cells"][2]["outputs"][0]["text"] == "wrote <out>/CASE1/results/monitoring.json\n"
    text = data.decode()
    assert "/srv/" not in text and "staging" not in text
    assert nbformat_valid(nb)


def nbformat_valid(nb: dict) -> bool:
    import nbformat

    nbformat.validate(nbformat.from_dict(nb))
    return True


def test_normalize_notebook_is_the_same_for_two_runs(tmp_path):
    """Two runs of the same notebook (different timings, ids and staging folders) normalize to the
    same bytes."""
    a, b = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    other = "/srv/run/out/.CASE1.staging-999-000"
    a.write_text(json.dumps(_notebook(1)), encoding="utf-8")
    b.write_text(json.dumps(_notebook(7, staging=other)), encoding="utf-8")
    assert a.read_bytes() != b.read_bytes()
    assert normalize_notebook(a, REPLACEMENTS) == normalize_notebook(b, {**REPLACEMENTS, other: "<out>/CASE1"})


def test_normalize_notebook_replaces_non_ascii_paths(tmp_path):
    """A checkout or output folder with a non-ASCII name (``/home/张三/out``) is replaced like any other."""
    staging = "/home/张三/out/.CASE1.staging-1-2"
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(_notebook(3, staging=staging), ensure_ascii=False), encoding="utf-8")
    data = normalize_notebook(path, {staging: "<out>/CASE1"})
    assert "张三" not in data.decode()


# ---- the CSV round trip of the context frames

TRICKY_TEXT = ["plain", None, "a,b", 'q"uote', "NA", "null", "  padded ", "two\nlines", "中文", "nan"]


def _frame(floats: list[float]) -> pd.DataFrame:
    n = len(floats)
    text = (TRICKY_TEXT * (n // len(TRICKY_TEXT) + 1))[:n]
    return pd.DataFrame({
        "x": pd.Series(floats, dtype="float64"),
        "i": pd.Series([(-1) ** k * k * 10 ** (k % 17) for k in range(n)], dtype="int64"),
        "s": pd.Series(text, dtype=object),
        "b": pd.Series([k % 3 == 0 for k in range(n)], dtype=bool),
    })


def _roundtrip(frame: pd.DataFrame) -> pd.DataFrame:
    return read_frame(csv_bytes(frame), frame_dtypes(frame))


def test_roundtrip_fixed_values():
    """NaN, 0.1+0.2, the extremes of float64, negative zero, big ints, text with commas, quotes,
    newlines, "NA"-like words and None, and bools come back exactly, with their dtypes."""
    frame = _frame([0.1 + 0.2, math.nan, 5e-324, 1.7976931348623157e308, -0.0, 1 / 3, 1e21, 123456789.123456789,
                    -2.5, 0.0])
    back = _roundtrip(frame)
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    assert back.at[0, "x"] == 0.1 + 0.2 and back.at[0, "x"] != 0.3
    assert back.at[1, "s"] is None and back.at[4, "s"] == "NA" and back.at[9, "s"] == "nan"
    assert csv_bytes(frame) == csv_bytes(back)  # and the same bytes again


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=30))
def test_roundtrip_any_float_column(floats):
    """Any float64 column, NaN and infinities included, comes back bit for bit (not just close)."""
    frame = _frame(floats)
    back = _roundtrip(frame)
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    same = [(a == b) or (math.isnan(a) and math.isnan(b)) for a, b in zip(frame["x"], back["x"])]
    assert all(same)
    assert [math.copysign(1, a) for a in frame["x"] if a == 0] == [math.copysign(1, b) for b in back["x"] if b == 0]


def test_csv_bytes_are_stable():
    """csv_bytes has a header, \\n line ends and no index, and is the same for the same frame."""
    frame = _frame([1.5, math.nan])
    data = csv_bytes(frame)
    assert data.startswith(b"x,i,s,b\n") and b"\r" not in data
    assert data == csv_bytes(frame.copy())
    assert frame_dtypes(frame) == {"x": "float64", "i": "int64", "s": "object", "b": "bool"}


def test_roundtrip_pandas_default_string_dtype():
    """A text column of pandas' default string dtype (``str``, what context/peers.csv records) comes
    back with that dtype and its missing values as the dtype's own NA."""
    frame = pd.DataFrame({"s": ["a", None, "b"], "x": [1.0, 2.0, 3.0]})
    assert frame_dtypes(frame)["s"] == "str"
    pd.testing.assert_frame_equal(_roundtrip(frame), frame, check_exact=True)


# ---- compare_json

DOC = {"grade": 8, "pd": 0.2539940123, "ratios": {"current": 0.808354, "quick": None},
       "dbt": {"3m": 33.78, "24m": 42.15}, "warnings": [{"code": "x", "row": 3}], "ok": True, "name": "东莞"}


def test_compare_json_equal_documents():
    """Equal documents: every leaf compared, none differs."""
    n, diffs = compare_json("summary.json", DOC, json.loads(json.dumps(DOC)))
    assert diffs == []
    assert n == 9


def test_compare_json_finds_a_tiny_float_change():
    """A float changed by one part in a million is one difference, named by file and path, with both values."""
    new = json.loads(json.dumps(DOC))
    new["ratios"]["current"] *= 1 + 1e-6
    n, diffs = compare_json("summary.json", DOC, new)
    assert diffs == [("summary.json:ratios.current", DOC["ratios"]["current"], new["ratios"]["current"])]
    assert n == 9


def test_compare_json_tolerates_print_noise_only():
    """A relative change below 1e-9 (float printing) is no difference and int 8 agrees with float 8.0;
    a flipped bool, a changed text and a leaf present on one side only are differences."""
    new = json.loads(json.dumps(DOC))
    new["pd"] *= 1 + 1e-12
    new["grade"] = 8.0
    assert compare_json("summary.json", DOC, new)[1] == []
    changed = {**DOC, "ok": False, "name": "东莞市"}
    assert [d[0] for d in compare_json("summary.json", DOC, changed)[1]] == ["summary.json:name", "summary.json:ok"]
    extra = {**DOC, "dbt": {**DOC["dbt"], "36m": 50.0}}
    assert compare_json("summary.json", DOC, extra)[1] == [("summary.json:dbt.36m", "—", 50.0)]
    nested = {**DOC, "warnings": []}
    assert compare_json("summary.json", DOC, nested)[1] == [("summary.json:warnings[0].code", "x", "—")]


def test_compare_json_skips_provenance_leaves():
    """Where and when a result was made (results/profile.json:provenance.*, a warning's source row,
    the summary's input and code hashes) is not compared as a figure; the same key elsewhere is."""
    old = {"provenance": {"source": "/old/place", "as_of": "2026-09-30"}, "value": 1.0}
    new = {"provenance": {"source": "sample", "as_of": "2026-09-30"}, "value": 1.0}
    n, diffs = compare_json("results/profile.json", old, new)
    assert diffs == [] and n == 1
    n, diffs = compare_json("results/monitoring.json", old, new)
    assert [d[0] for d in diffs] == ["results/monitoring.json:provenance.source"] and n == 3
    n, diffs = compare_json("summary.json", {"inputs_sha256": "a", "code_sha256": "b", "grade": 3},
                            {"inputs_sha256": "c", "code_sha256": "d", "grade": 3})
    assert diffs == [] and n == 1
    n, diffs = compare_json("summary.json", {"warnings": [{"row": 3, "code": "x"}]},
                            {"warnings": [{"row": 9, "code": "x"}]})
    assert diffs == [] and n == 1
