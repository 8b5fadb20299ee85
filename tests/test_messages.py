"""The message catalogue: complete in both languages, placeholders that agree, and every key the code
asks for present; policy texts in both languages."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from helpers.config import DATA_SAMPLE, load_policy
from helpers.exceptions import RiskbookError
from helpers.report.messages import LOCALES_DIR, Messages, catalogue

ROOT = Path(__file__).resolve().parents[1]


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_both_languages_have_the_same_messages():
    en, zh = catalogue("en"), catalogue("zh")
    assert set(en) == set(zh), f"only en: {sorted(set(en) - set(zh))}; only zh: {sorted(set(zh) - set(en))}"
    assert len(en) > 400


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_message_is_empty_or_fuzzy(lang):
    folder = LOCALES_DIR / {"en": "en", "zh": "zh_CN"}[lang] / "LC_MESSAGES"
    for path in folder.glob("*.po"):
        with open(path, "rb") as fh:
            for m in read_po(fh):
                if m.id:
                    assert m.string and not m.fuzzy, f"{path.name}: {m.id} has no {lang} text"


def test_placeholders_agree_between_languages():
    en, zh = catalogue("en"), catalogue("zh")
    wrong = {k: (_fields(en[k]), _fields(zh[k])) for k in en if _fields(en[k]) != _fields(zh[k])}
    assert not wrong, wrong


def test_chinese_texts_are_chinese():
    """A zh message that still reads as the English one is a missing translation in disguise (a message of
    placeholders only, such as ``{currency}``, is the same in both)."""
    en, zh = catalogue("en"), catalogue("zh")
    same = [k for k in en if zh[k] == en[k] and re.search(r"[A-Za-z]{4,}", re.sub(r"\{\w+\}", "", en[k]))
            and not k.startswith(("ratio.", "figure.", "altman.")) and k != "doc.brand"]
    assert not same, same


def _keys_used_in_code_and_templates() -> set[str]:
    keys = set()
    for path in list((ROOT / "src" / "helpers").rglob("*.py")) + list((ROOT / "templates").glob("*.j2")):
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"""(?:\b[th]|\b_t\(args\))(?:\.get)?\(\s*["']([a-z_]+(?:\.[a-z_0-9']+)+)["']""", text))
    return keys


def test_every_literal_key_in_code_and_templates_exists():
    missing = sorted(k for k in _keys_used_in_code_and_templates() if k not in catalogue("en"))
    assert not missing, missing


def test_a_missing_key_or_argument_is_a_clear_error():
    t = Messages("zh")
    with pytest.raises(RiskbookError, match="missing from the zh catalogue"):
        t("no.such.key")
    with pytest.raises(RiskbookError, match="needs arguments"):
        t("finding.unaudited")  # needs {year}


def test_sample_policy_has_every_text_in_both_languages():
    policy = load_policy(DATA_SAMPLE / "policy.yaml")
    assert policy.untranslated("zh") == [] and policy.untranslated("en") == []
    assert policy.decisions.options[0].label["zh"] and policy.industries["electronics"].label["zh"]


def test_policy_validation_names_each_missing_translation(tmp_path):
    text = (DATA_SAMPLE / "policy.yaml").read_text(encoding="utf-8")
    text = text.replace('label: {en: "Electronics & components", zh: "电子及元器件"}', 'label: "Electronics & components"')
    assert 'label: "Electronics & components"' in text
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_policy(path).untranslated("zh") == ["industries.electronics.label"]


def test_every_data_warning_of_the_sample_reads_in_both_languages():
    # each validation warning a report prints needs its warning.<code> message (a missing one failed the
    # batch of every customer with an answer lacking evidence)
    from helpers import load_portfolio
    from helpers.report.localize import text_for, warning_text

    warnings = load_portfolio(DATA_SAMPLE, as_of="2026-09-30").warnings
    codes = {w.code for w in warnings if w.code}
    assert {"no_evidence", "stale_assessment", "unaudited"} <= codes
    for lang in ("en", "zh"):
        tx = text_for(lang)
        for w in warnings:
            text = warning_text(w.to_dict(), tx)
            assert text and "{" not in text, (lang, w.code, text)
