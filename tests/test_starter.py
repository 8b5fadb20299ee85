"""The starter folder of ``riskbook init``: a workbook that reads back as the contract's empty tables and,
filled with two sample customers, loads without errors; notes, prompts and instructions in the chosen
language; drop-downs with the contract's and the policy's codes; a policy commented in both languages
that is the sample policy as data."""
from __future__ import annotations

import re

import openpyxl
import pytest
import yaml

from helpers.config import DATA_SAMPLE, load_policy
from helpers.data import RATIO_NAMES, TABLES, load_portfolio, read_tables
from helpers.data.contract import UNIT_FACTORS
from helpers.exceptions import RiskbookError
from helpers.report.messages import catalogue, messages
from helpers.report.starter import LISTS_SHEET, POLICY_NAME, WORKBOOK_NAME, starter_policy_path, write_starter

from workbooks import fill_from_sample

CJK = re.compile(r"[\u4e00-\u9fff]")
AS_OF = "2026-09-30"
TWO = ("C001", "C002")


@pytest.fixture(scope="module")
def starters(tmp_path_factory):
    """The starter folder of each language, written once."""
    out = {}
    for lang in ("en", "zh"):
        folder = tmp_path_factory.mktemp(f"starter_{lang}")
        assert write_starter(folder, lang) == [folder / WORKBOOK_NAME, folder / POLICY_NAME]
        out[lang] = folder
    return out


def _book(starters, lang):
    return openpyxl.load_workbook(starters[lang] / WORKBOOK_NAME)


def _validations(ws) -> dict[str, object]:
    """Column name → the data validation covering its cells below the header."""
    names = {cell.column_letter: cell.value for cell in ws[1]}
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            letter = re.match(r"[A-Z]+", rng.coord).group(0)
            assert rng.coord == f"{letter}2:{letter}1048576"
            out[names[letter]] = dv
    return out


def _list_values(book, dv) -> list[str]:
    """The values a list validation offers: inline, or a column of the hidden lists sheet."""
    formula = dv.formula1
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, ref = formula.split("!")
    return [c.value for row in book[sheet][ref.replace("$", "")] for c in row]


# --------------------------------------------------------------------------- the workbook
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sheets_headers_notes_and_frozen_header(starters, lang):
    book = _book(starters, lang)
    t = messages(lang)
    assert book.sheetnames[0] == t("starter.sheet.instructions")
    assert book.sheetnames[1:1 + len(TABLES)] == list(TABLES)
    assert book[LISTS_SHEET].sheet_state == "hidden"
    for name, table in TABLES.items():
        ws = book[name]
        assert [c.value for c in ws[1]] == table.names, name
        assert ws.max_row == 1, f"{name} is not empty"
        assert ws.freeze_panes == "A2"
        for cell, col in zip(ws[1], table.columns):
            note = cell.comment.text
            assert note.startswith(t(f"starter.column.{name}.{col.name}")), (name, col.name)
            assert t("starter.note.may_be_empty" if col.nullable else "starter.note.must_fill") in note
            assert ws.column_dimensions[cell.column_letter].width >= len(col.name)
            assert bool(CJK.search(note)) == (lang == "zh"), (name, col.name, note)


def test_notes_differ_between_languages(starters):
    en, zh = _book(starters, "en"), _book(starters, "zh")
    for name in TABLES:
        for a, b in zip(en[name][1], zh[name][1]):
            assert a.value == b.value  # column names stay the contract's
            assert a.comment.text != b.comment.text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_drop_downs_offer_the_contract_and_policy_codes(starters, lang):
    book = _book(starters, lang)
    policy = load_policy(DATA_SAMPLE / "policy.yaml")
    expected = {
        ("customers", "industry"): list(policy.industries),
        ("outcomes", "industry"): list(policy.industries),
        ("industry_benchmarks", "industry"): list(policy.industries),
        ("industry_benchmarks", "ratio"): list(RATIO_NAMES),
        ("customers", "third_party_rating"): list(policy.rating_scale),
        ("financial_statements", "unit"): list(UNIT_FACTORS),
        ("financial_statements", "audited"): ["TRUE", "FALSE"],
        ("contacts", "resolved"): ["TRUE", "FALSE"],
        ("assessments", "question"): [q.name for q in policy.assessment.questions],
    }
    for name, table in TABLES.items():
        for col in table.columns:
            if col.allowed is not None:
                expected[(name, col.name)] = list(col.allowed)
    assert ("contacts", "kind") in expected and ("bank_credit", "facility_type") in expected
    answers = {lv.answer for scale in policy.assessment.scales.values() for lv in scale}
    for name in TABLES:
        dvs = _validations(book[name])
        for (table, column), values in expected.items():
            if table == name:
                dv = dvs[column]
                assert dv.type == "list" and dv.errorStyle == "stop" and dv.showErrorMessage, (table, column)
                assert _list_values(book, dv) == values, (table, column)
        if name == "assessments":
            assert set(_list_values(book, dvs["answer"])) == answers
        for column in ("currency",):
            if column in dvs and name != "fx_rates":
                values = _list_values(book, dvs[column])
                assert values[0] == policy.base_currency and {"USD", "EUR"} <= set(values)
                assert dvs[column].errorStyle == "warning"
    assert _validations(book["invoices"])["customer_id"].formula1.startswith("customers!$A$2")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_dates_and_numbers_are_validated_with_prompts_in_the_language(starters, lang):
    book = _book(starters, lang)
    t = messages(lang)
    for name, table in TABLES.items():
        dvs = _validations(book[name])
        for col in table.columns:
            dv = dvs.get(col.name)
            if col.kind == "date":
                assert dv is not None and dv.type == "date", (name, col.name)
            elif col.kind == "int" and col.allowed is None:
                assert dv.type == "whole", (name, col.name)
                if col.min is not None:
                    assert float(dv.formula1) == col.min
                if col.max is not None:
                    assert float(dv.formula2) == col.max
            elif col.kind in ("float", "money"):
                assert dv.type == "decimal", (name, col.name)
                if col.min is not None:
                    assert float(dv.formula1) == col.min
            if dv is not None:
                assert dv.showInputMessage and dv.prompt and len(dv.prompt) <= 255 and len(dv.promptTitle) <= 32
                assert dv.errorTitle == t("starter.error.title")
                assert bool(CJK.search(dv.prompt + dv.error)) == (lang == "zh"), (name, col.name, dv.prompt)
    fs = _validations(book["financial_statements"])
    assert (fs["fiscal_year"].formula1, fs["fiscal_year"].formula2) == ("1900", "2100")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_instructions_sheet_explains_sheets_and_commands(starters, lang):
    book = _book(starters, lang)
    t = messages(lang)
    ws = book.worksheets[0]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    workbook = (starters[lang] / WORKBOOK_NAME).as_posix()
    assert f"riskbook validate --data {workbook}" in text and f"riskbook batch --data {workbook}" in text
    for name, table in TABLES.items():
        assert t(f"starter.table.{name}", base="CNY") in text
        for col in table.columns:
            assert t(f"starter.column.{name}.{col.name}") in text
    assert t("starter.instructions.dates") in text and t("starter.instructions.units", base="CNY") in text
    assert bool(CJK.search(text)) == (lang == "zh")


def test_the_reader_skips_the_extra_sheets_and_reads_empty_tables(starters):
    tables, kind = read_tables(starters["zh"] / WORKBOOK_NAME)
    assert kind == "workbook" and list(tables) == list(TABLES)
    for name, raw in tables.items():
        assert list(raw.frame.columns) == TABLES[name].names and raw.frame.empty and not raw.problems, name


def test_two_customers_filled_in_load_without_errors(starters, tmp_path):
    folder = tmp_path / "book"
    write_starter(folder, "zh")
    filled = fill_from_sample(folder / WORKBOOK_NAME, TWO)
    assert filled["customers"] == 2 and filled["financial_statements"] >= 4 and filled["invoices"] > 0
    portfolio = load_portfolio(folder / WORKBOOK_NAME, as_of=AS_OF, strict=True)
    assert sorted(portfolio.customer_ids) == list(TWO) and not portfolio.quarantine
    assert portfolio.tables["financial_statements"].groupby("customer_id").size().min() >= 2
    assert portfolio.tables["outcomes"].empty


def test_refuses_to_overwrite_and_names_the_files(tmp_path):
    (tmp_path / POLICY_NAME).write_text("company: mine\n", encoding="utf-8")
    with pytest.raises(RiskbookError, match=re.escape(str(tmp_path / POLICY_NAME))):
        write_starter(tmp_path, "en")
    assert (tmp_path / POLICY_NAME).read_text(encoding="utf-8") == "company: mine\n"
    assert not (tmp_path / WORKBOOK_NAME).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [POLICY_NAME]  # no temporary file left behind
    with pytest.raises(RiskbookError, match="unknown report language"):
        write_starter(tmp_path / "other", "fr")


def test_the_written_policy_is_the_language_twin(starters):
    for lang in ("en", "zh"):
        assert (starters[lang] / POLICY_NAME).read_bytes() == starter_policy_path(lang).read_bytes()
    assert CJK.search((starters["zh"] / POLICY_NAME).read_text(encoding="utf-8").split("\n")[0])


# --------------------------------------------------------------------------- the policy twins
def test_policy_twins_are_the_same_data():
    en, zh = starter_policy_path("en"), starter_policy_path("zh")
    assert en == DATA_SAMPLE / "policy.yaml"
    assert yaml.safe_load(en.read_text(encoding="utf-8")) == yaml.safe_load(zh.read_text(encoding="utf-8"))
    assert load_policy(en).model_dump(exclude={"sha256", "source"}) == load_policy(zh).model_dump(exclude={"sha256", "source"})


def _trailing_comment(line: str) -> bool:
    """Whether a line that holds YAML carries a comment after it: a ``#`` after white space, outside quotes."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\']|\'\')*\'', '""', line)
    return not bare.lstrip().startswith("#") and re.search(r"\s#", bare) is not None


def uncovered_keys(text: str) -> list[int]:
    """The (1-based) lines of block-mapping keys that no comment explains.

    A key line is a line on which a key of a block mapping starts (keys inside flow mappings such as
    ``{min: 1.2, warn: 1.5}`` belong to their line); they are found with YAML's own scanner. A key
    line is covered when

    1. it carries a trailing comment, or
    2. the line directly above it is a comment line, or
    3. its block is introduced by a comment: its parent key (the nearest key line above with a smaller
       indentation) carries a trailing comment, or the first non-blank line after the parent is a
       comment line — one explanation of the entries' fields for a table of like entries
       (``thresholds``, ``industries``, the assessment questions).

    Top-level keys have no parent: each needs 1 or 2.
    """
    lines = text.splitlines()
    keys, depth = [], 0
    for token in yaml.scan(text):
        if isinstance(token, (yaml.FlowMappingStartToken, yaml.FlowSequenceStartToken)):
            depth += 1
        elif isinstance(token, (yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)):
            depth -= 1
        elif isinstance(token, yaml.KeyToken) and depth == 0:
            keys.append((token.start_mark.line, token.start_mark.column))

    def comment_line(i: int) -> bool:
        return 0 <= i < len(lines) and lines[i].lstrip().startswith("#")

    def introduced(parent: int) -> bool:
        following = next((j for j in range(parent + 1, len(lines)) if lines[j].strip()), None)
        return _trailing_comment(lines[parent]) or (following is not None and comment_line(following))

    bad = []
    for n, (line, column) in enumerate(keys):
        if _trailing_comment(lines[line]) or comment_line(line - 1):
            continue
        parent = next((p for p, c in reversed(keys[:n]) if c < column), None)
        if parent is not None and introduced(parent):
            continue
        bad.append(line + 1)
    return bad


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_policy_setting_is_commented(lang):
    text = starter_policy_path(lang).read_text(encoding="utf-8")
    assert uncovered_keys(text) == []
    comments = [line for line in text.splitlines() if "#" in line]
    assert len(comments) > 150
    if lang == "zh":  # every comment of the Chinese twin reads in Chinese
        zh_comments = [line.split("#", 1)[1] for line in comments if line.lstrip().startswith("#")
                       or _trailing_comment(line)]
        english = [c for c in zh_comments if not CJK.search(c) and re.search(r"[a-z]{4,} [a-z]{4,} [a-z]{4,}", c)]
        assert not english, english


def test_the_comment_check_finds_an_unexplained_key():
    assert uncovered_keys("a: 1  # explained\n# explained\nb: 2\nc: 3\n") == [4]
    assert uncovered_keys("t:  # table\n  x: {min: 1}\n  y: {min: 2}\n# u\nu:\n  # fields\n  z: 1\n") == []
    assert uncovered_keys("# t\nt:\n  x: {min: 1,\n      max: 2}\n") == [3]  # a flow mapping's keys are its line's
    assert uncovered_keys("# top\nt:\n  x: 1\n") == [3]


# --------------------------------------------------------------------------- the catalogue
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_contract_column_and_table_has_a_text(lang):
    texts = catalogue(lang)
    wanted = {f"starter.column.{name}.{col.name}" for name, table in TABLES.items() for col in table.columns}
    wanted |= {f"starter.table.{name}" for name in TABLES}
    missing = sorted(wanted - set(texts))
    assert not missing, missing
    stale = sorted(k for k in texts if k.startswith(("starter.column.", "starter.table.")) and k not in wanted)
    assert not stale, stale
    if lang == "zh":
        assert all(CJK.search(texts[k]) for k in wanted)
