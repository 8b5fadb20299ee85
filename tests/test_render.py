"""The PDF report: content, fonts (CJK really embedded), page furniture, bookmarks, escaping."""
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from helpers import charts, customer_profile, financial_section, load_portfolio, save_chart, save_result
from helpers.report.context import build_context
from helpers.report.formatting import Formatter
from helpers.report.render import render_html, render_report
from helpers.exceptions import RenderError


def _results(portfolio, cid, out):
    section = financial_section(portfolio, cid)
    save_result(out, "profile", customer_profile(portfolio, cid))
    save_result(out, "financial_analysis", section)
    for name, figure in charts.financial_charts(section).items():
        save_chart(out, name, figure)
    return section


@pytest.fixture(scope="module")
def portfolio():
    return load_portfolio(as_of="2026-09-30")


@pytest.fixture(scope="module")
def case1_pdf(portfolio, tmp_path_factory):
    out = tmp_path_factory.mktemp("CASE1")
    section = _results(portfolio, "CASE1", out)
    return render_report(out), section, portfolio.customer("CASE1")


def test_formatters_english():
    f = Formatter("en")
    assert f.number(1234.5678) == "1,234.57"
    assert f.number(None) == "n/a" and f.number(float("nan")) == "n/a"
    assert f.money(-2_259_000.0) == "(2,259)"
    assert f.money(1_499.0) == "1"
    assert f.percent(0.1234) == "12.3 %"
    assert f.ratio(0.4321, "x") == "0.43" and f.ratio(45.6, "days") == "46"
    assert f.date("2026-09-30T00:00:00") == "2026-09-30"
    assert f.amount(12_300, "CNY") == "12,300 CNY"


def test_formatters_chinese():
    f = Formatter("zh")
    assert f.number(1234.5678) == "1,234.57" and f.number(None) == "不适用"
    assert f.percent(0.1234) == "12.3%"
    assert f.date("2026-09-30") == "2026年9月30日"
    assert f.amount(12_300, "USD") == "12,300美元" and f.currency_name("CNY") == "人民币"
    assert f.money(-2_259_000.0) == "(2,259)"


def test_report_text_carries_name_ratios_and_page_numbers(case1_pdf):
    pdf, section, cust = case1_pdf
    reader = PdfReader(pdf)
    pages = [p.extract_text() for p in reader.pages]
    text = "\n".join(pages)
    assert len(reader.pages) >= 4
    assert cust.name in pages[0]
    cr = section["summary"]["ratios"]["current_ratio"]
    qr = section["summary"]["ratios"]["quick_ratio"]
    assert f"{cr:.2f}" in pages[0] and f"{qr:.2f}" in pages[0]
    assert f"Page 1 of {len(reader.pages)}" in pages[0]
    assert f"Page 2 of {len(reader.pages)}" in pages[1]
    assert cust.name in pages[1]  # running header from page 2 on
    assert "current_assets / current_liabilities" in text  # the formula is shown
    assert "statements are not audited" in text  # warnings reach the report


def test_headings_become_bookmarks(case1_pdf):
    reader = PdfReader(case1_pdf[0])
    titles = []

    def walk(items):
        for it in items:
            if isinstance(it, list):
                walk(it)
            else:
                titles.append(it.title)

    walk(reader.outline)
    assert "1 Customer and data" in titles and "2 Financial statements" in titles
    assert "3 Ratio analysis" in titles and "Appendix: provenance" in titles


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed (make setup installs it)")
def test_chinese_name_is_drawn_with_an_embedded_cjk_font(case1_pdf):
    # WeasyPrint draws empty boxes without complaint when no CJK font exists, while the text layer
    # still extracts fine; so check the fonts actually embedded.
    out = subprocess.run(["pdffonts", str(case1_pdf[0])], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in out.splitlines() if "CJK" in line]
    assert cjk, out
    assert all(" yes " in line for line in cjk)


def test_charts_are_vector(case1_pdf, tmp_path):
    pdf = case1_pdf[0]
    svg = (pdf.parent / "results" / "liquidity.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<image" not in svg
    reader = PdfReader(pdf)
    # no raster images anywhere in the report
    assert all(len(page.images) == 0 for page in reader.pages)


def test_template_escapes_data(portfolio, tmp_path):
    _results(portfolio, "C001", tmp_path)
    ctx = build_context(tmp_path)
    ctx["profile"]["customer"]["name"] = "<script>alert(1)</script>"
    html = render_html(ctx)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_missing_results_is_a_clear_error(tmp_path):
    with pytest.raises(RenderError, match="profile.json is missing"):
        render_report(tmp_path)


def test_a_figure_that_rounds_to_zero_has_no_minus_sign():
    from helpers.report.formatting import formatter

    for lang in ("en", "zh"):
        f = formatter(lang)
        assert f.number(-0.4, 0) == "0" and f.number(-0.6, 0) == "-1" and f.number(-0.004, 2) == "0.00"
        assert not f.percent(-0.00001, 1).startswith("-")
