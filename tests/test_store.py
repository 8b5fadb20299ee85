"""Saving and loading results: JSON-able conversion and atomic writes."""
import json
import math

import numpy as np
import pandas as pd
import pytest

from helpers.data.store import atomic_write_bytes, load_results, read_json, save_result, to_jsonable, write_json


def test_to_jsonable_turns_nan_inf_numpy_and_dates_into_plain_json():
    data = {"a": np.float64("nan"), "b": float("inf"), "c": np.int64(3), "d": pd.Timestamp("2025-12-31"),
            "e": np.bool_(True), "f": pd.DataFrame({"x": [1.5, np.nan]}), "g": pd.NaT}
    out = to_jsonable(data)
    assert out == {"a": None, "b": None, "c": 3, "d": "2025-12-31", "e": True,
                   "f": [{"x": 1.5}, {"x": None}], "g": None}
    json.dumps(out, allow_nan=False)  # would raise on NaN


def test_write_json_round_trips_unicode(tmp_path):
    path = write_json(tmp_path / "x.json", {"name": "东莞市恒达电子有限公司", "v": 0.1})
    assert read_json(path) == {"name": "东莞市恒达电子有限公司", "v": 0.1}
    assert "东莞" in path.read_text(encoding="utf-8")  # not \\u-escaped


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "r.json"
    target.write_text('{"old": true}')

    with pytest.raises(TypeError):
        write_json(target, {"bad": object()})
    assert read_json(target) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left behind


def test_atomic_write_bytes_replaces_whole_file(tmp_path):
    target = tmp_path / "a.bin"
    atomic_write_bytes(target, b"x" * 100)
    atomic_write_bytes(target, b"y")
    assert target.read_bytes() == b"y"


def test_save_and_load_results_by_section(tmp_path):
    save_result(tmp_path, "profile", {"summary": {"customer_id": "A"}})
    save_result(tmp_path, "financial_analysis", {"ratios": [{"v": math.nan}]})
    loaded = load_results(tmp_path)
    assert set(loaded) == {"profile", "financial_analysis"}
    assert loaded["financial_analysis"]["ratios"][0]["v"] is None
