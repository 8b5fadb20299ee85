"""Nothing in the data acts as code, reaches the network or escapes the output folder.

1. Names and free-text fields carrying HTML, CSS, ``<script>``, external images and stylesheets, ``file:``
   links and Jinja2 syntax are plain text in the customer PDF and the portfolio PDF (one real batch of
   CASE1 on a copy of the sample whose text fields carry them; a local HTTP server records any request).
2. WeasyPrint loads only the report's own files (:func:`helpers.report.render.report_url_fetcher`).
3. Notebook parameters with quotes, newlines and code arrive as values; the code never runs.
4. Customer ids with ``../``, NUL bytes or 10,000 characters never escape or break ``--out``.
5. Text cells of ``portfolio.xlsx`` that a spreadsheet would take for a formula start with ``'``.
6. The order-check service: every route needs a key, bodies are bounded, no response holds a traceback.

Everything is real: WeasyPrint renders, Papermill executes on real kernels, uvicorn serves.
"""
from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import re
import shutil
import socket
import subprocess
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import nbformat
import pandas as pd
import pikepdf
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from helpers import load_portfolio
from helpers.cli import main
from servers import serve_in_thread
from helpers.config import DATA_SAMPLE, REPORTS_DIR, TEMPLATES_DIR, load_policy, safe_name
from helpers.config.paths import SAFE_NAME_MAX
from helpers.data.store import customer_output_dir, read_json, save_chart, write_json
from helpers.exceptions import OrderError, RenderError
from helpers.pipeline import run_batch
from helpers.pipeline.batch import run_customer
from helpers.pipeline.engines import execute_notebook, kernel_pool
from helpers.pipeline.order_desk import OrderDesk
import helpers.report as report_package
from helpers.report import charts
from helpers.report.context import build_context
from helpers.report.formatting import formatter
from helpers.report.messages import messages
from helpers.report.pack import FORMULA_PREFIXES, write_portfolio_pack
from helpers.report.pdfa import DocumentInfo
from helpers.report.render import environment, render_html, render_pdf, report_url_fetcher
from helpers.scoring.development import develop_scorecard
from helpers.service import create_app, load_keys, new_key

AS_OF = "2026-09-30"
CID = "CASE1"
ON = "2026-10-15"
PASSWD = Path("/etc/passwd")


# --------------------------------------------------------------------------- helpers
def _squash(text: str) -> str:
    """Text without any whitespace: a PDF wraps long values over lines wherever there is a space."""
    return re.sub(r"\s+", "", text)


def _pdf_text(pdf: Path) -> str:
    """The page text as poppler's pdftotext and pypdf extract it (both, one after the other)."""
    poppler = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                             check=True).stdout
    return poppler + "\n" + "\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages)


def _attachments(pdf: Path) -> dict[str, bytes]:
    with pikepdf.open(pdf) as doc:
        return {name: spec.get_file().read_bytes() for name, spec in doc.attachments.items()}


def _link_targets(pdf: Path) -> list[str]:
    """Every URI and launch target of the PDF's link annotations."""
    out = []
    for page in PdfReader(pdf).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            for key in ("/URI", "/F"):
                if key in action:
                    out.append(str(action[key]))
    return out


def _passwd_line() -> bytes:
    return PASSWD.read_bytes().splitlines()[0] if PASSWD.is_file() else b"root:x:0:0:"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802 - the http.server API
        self.hits.append(self.path)
        body = b"body { color: red }" if self.path.endswith(".css") else b"GIF89a"
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def canary():
    """A real HTTP server on loopback that records every request made to it."""
    handler = type("Recorder", (_Recorder,), {"hits": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_address[1]}", "hits": handler.hits}
    server.shutdown()
    server.server_close()


def _payloads(url: str) -> dict[str, str]:
    """What the hostile data says, by field (``url``: the recording server)."""
    return {
        "name": "Hengda <b>bold</b> {{ 12345*11 }} Ltd",
        "name_en": "<script>document.write('PWNED')</script> Hengda",
        "account_manager": f'<img src="{url}/am.png"> Wang',
        "rating_agency": f'<link rel="stylesheet" href="{url}/agency.css">',
        "dispute": f'<style>@import url("{url}/contact.css"); body {{ display: none }}</style>',
        "complaint": '<link rel="attachment" href="file:///etc/passwd">',
        "feedback": '<a href="file:///etc/passwd">file:///etc/hosts</a>',
        "evidence_jinja": "{{ 7*7 }} {% raw %} {{ config }}",
        "evidence_iframe": f'<iframe src="{url}/frame.html"></iframe>',
        "evidence_svg": f'<svg><image href="{url}/svg.png"/></svg>',
        "lender": f'<img src="{url}/lender.png">',
    }


def _hostile_data(folder: Path, p: dict[str, str]) -> Path:
    """A copy of the sample whose CASE1 text fields carry the payloads ``p``."""
    shutil.copytree(DATA_SAMPLE, folder)

    def edit(table, change):
        path = folder / f"{table}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        change(frame)
        frame.to_csv(path, index=False)

    def customers(f):
        m = f.customer_id == CID
        for k in ("name", "name_en", "account_manager", "rating_agency"):
            f.loc[m, k] = p[k]

    def contacts(f):  # CASE1's latest dispute, complaint and feedback (the report shows them)
        for contact, k in (("CT-02871", "dispute"), ("CT-02722", "complaint"), ("CT-02369", "feedback")):
            assert (f.contact_id == contact).sum() == 1
            f.loc[f.contact_id == contact, "summary"] = p[k]

    def assessments(f):
        rows = f.index[(f.customer_id == CID) & (f.assessment_date == "2026-08-20")][:3]
        for i, k in zip(rows, ("evidence_jinja", "evidence_iframe", "evidence_svg")):
            f.loc[i, "evidence"] = p[k]

    def bank(f):
        f.loc[(f.customer_id == CID) & (f.facility_id == "F1"), "lender"] = p["lender"]

    edit("customers", customers)
    edit("contacts", contacts)
    edit("assessments", assessments)
    edit("bank_credit", bank)
    return folder


@pytest.fixture(scope="module")
def batch(tmp_path_factory, canary):
    """One real batch of CASE1 on the hostile copy of the sample (notebooks, report, portfolio pack)."""
    root = tmp_path_factory.mktemp("injection")
    payloads = _payloads(canary["url"])
    data = _hostile_data(root / "data", payloads)
    portfolio = load_portfolio(data, as_of=AS_OF)
    assert CID not in portfolio.quarantine
    model = develop_scorecard(portfolio)[0].to_json(root / "model" / "scorecard.json")
    out = root / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        result = run_batch(portfolio, out, customers=[CID], progress=False, model=model, executor="serial")
    assert [r.status for r in result.runs] == ["ok"], [r.error for r in result.runs]
    return {"root": root, "out": out, "data": data, "payloads": payloads, "model": model,
            "report": out / CID / "report.pdf", "pack": out / "portfolio.pdf", "xlsx": out / "portfolio.xlsx"}


@pytest.fixture(scope="module")
def texts(batch):
    """The page text of the batch's customer report and portfolio pack."""
    return {doc: _pdf_text(batch[doc]) for doc in ("report", "pack")}


# --------------------------------------------------------------------------- 1. data is text
@pytest.mark.parametrize("doc, fields", [
    ("report", ("name", "name_en", "account_manager", "rating_agency", "dispute", "complaint", "feedback",
                "evidence_jinja", "evidence_iframe", "evidence_svg")),
    ("pack", ("name", "account_manager")),
])
def test_markup_and_template_syntax_in_the_data_are_printed_as_text(batch, texts, doc, fields):
    text = texts[doc]
    flat = _squash(text)
    for field in fields:
        assert _squash(batch["payloads"][field]) in flat, (doc, field)
    assert "135795" not in text          # {{ 12345*11 }} was not evaluated
    assert "PWNED" not in text.replace("document.write('PWNED')", "")  # the script did not write
    if doc == "report":
        assert "{{7*7}}{%raw%}{{config}}" in flat  # Jinja2 syntax in the data stays as written
        assert "<Config" not in text


def test_no_resource_named_in_the_data_is_requested_or_embedded(batch, texts, canary):
    assert canary["hits"] == []  # neither WeasyPrint nor anything else fetched the data's URLs
    secret = _passwd_line()
    for doc in ("report", "pack"):
        files = _attachments(batch[doc])
        assert not any("passwd" in name or "hosts" in name for name in files), sorted(files)
        assert secret.decode(errors="replace") not in texts[doc]
        # inputs/*.csv are the data as read (with the payload text in it): nothing else carries passwd's content
        assert not any(secret in data for name, data in files.items()), doc
        assert not any(t.startswith(("file:", "http:", "https:")) for t in _link_targets(batch[doc])), doc


def test_the_report_html_carries_the_data_escaped(batch):
    html = render_html(build_context(batch["out"] / CID))
    for tag in ("<script", "<img src=\"http", "<style>@import", "<link rel=\"attachment\"", "<iframe", "<b>bold",
                "<a href=\"file:"):
        assert tag not in html, tag
    assert "&lt;script&gt;" in html and "{{ 12345*11 }}" in html


def test_the_reports_own_charts_still_load(texts):
    text = texts["report"]
    # chart-only words (matplotlib draws them into the SVGs the report embeds from results/)
    assert "best bin" in text and "PD by scenario" in text and "Profit and cash" in text


def test_every_template_is_autoescaped_and_nothing_marks_data_safe():
    env = environment("en")
    names = sorted(p.name for p in TEMPLATES_DIR.iterdir() if p.is_file())
    assert "report.html.j2" in names and "portfolio.html.j2" in names
    for name in names + ["any.txt", "any.css", "x.xml"]:
        assert env.autoescape(name) is True, name
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    # the only |safe is tm()'s, whose arguments are escaped first; Python never builds Markup
    safes = [(p.name, m.group(0)) for p in TEMPLATES_DIR.glob("*.j2")
             for m in re.finditer(r"[^\n]*\|\s*safe\b[^\n]*", p.read_text(encoding="utf-8"))]
    assert len(safes) == 1 and safes[0][0] == "macros.html.j2", safes
    assert "{% macro tm(key) %}" in safes[0][1] and "value | e" in safes[0][1]
    for py in Path(report_package.__file__).parent.glob("*.py"):
        src = py.read_text(encoding="utf-8")
        assert "Markup" not in src and "markupsafe" not in src and "|safe" not in src.replace(" ", ""), py.name


def test_tm_escapes_its_arguments_and_keeps_its_own_markup(tmp_path):
    (tmp_path / "t.html.j2").write_text('{% import "macros.html.j2" as ui with context %}'
                                        '{{ ui.tm("cover.more_signals", n=n, section=ui.xref("sec-x")) }}',
                                        encoding="utf-8")
    shutil.copyfile(TEMPLATES_DIR / "macros.html.j2", tmp_path / "macros.html.j2")
    html = render_html({"lang": "en", "n": "<img src=x>{{ 7*7 }}"}, template="t.html.j2", templates=tmp_path)
    assert "<img" not in html and "&lt;img src=x&gt;{{ 7*7 }}" in html
    assert '<a class="xref" href="#sec-x"></a>' in html


def test_chart_labels_are_escaped_text_in_the_svg(tmp_path):
    label = "</text><script>alert(1)</script><image href='file:///etc/passwd'/> $\\undefinedcommand{x}$ & co"
    fig = charts.line_chart([2024, 2025], {label: [1.0, 2.0]}, title=label, references={label: 1.5})
    svg = save_chart(tmp_path, "hostile", fig).read_text(encoding="utf-8")
    root = ET.fromstring(svg)
    tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert not tags & {"script", "image", "foreignObject", "iframe"}, tags
    hrefs = [v for el in root.iter() for k, v in el.attrib.items() if k.endswith("href")]
    assert all(h.startswith("#") for h in hrefs), hrefs  # only references inside the SVG
    assert "".join(root.itertext()).count(label) >= 2  # title and legend, as written (no TeX)


# --------------------------------------------------------------------------- 2. the URL fetcher
def test_the_fetcher_refuses_the_network_other_files_and_ways_out(tmp_path):
    tpl, out = tmp_path / "tpl", tmp_path / "out"
    tpl.mkdir()
    out.mkdir()
    (tpl / "style.css").write_text("p { color: red }")
    (tmp_path / "tpl-evil").mkdir()
    (tmp_path / "tpl-evil" / "x.css").write_text("p { color: blue }")
    (out / "link.css").symlink_to(PASSWD)
    fetch = report_url_fetcher([tpl, out])
    refused = ["http://example.com/x.png", "https://example.com/x.css", "ftp://example.com/x", "file:///etc/passwd",
               f"{tpl.as_uri()}/../tpl-evil/x.css", f"{tpl.as_uri()}/%2e%2e/tpl-evil/x.css",
               (tmp_path / "tpl-evil" / "x.css").as_uri(), f"{out.as_uri()}/link.css",
               f"file://evil.example.com{tpl}/style.css", f"{tpl.as_uri()}/style.css%00.png",
               "javascript:alert(1)", "gopher://example.com/", "//example.com/x.png", "x.png"]
    for url in refused:
        with pytest.raises(RenderError, match="refused"):
            fetch(url)
    # the project's own template folder: its stylesheet and its ../ within the folder
    ok = report_url_fetcher([TEMPLATES_DIR])
    for url in ((TEMPLATES_DIR / "report.css").as_uri(), f"{TEMPLATES_DIR.as_uri()}/x/../report.css"):
        r = ok(url)
        try:
            assert b"riskbook print stylesheet" in r.read()
        finally:
            r.close()
    with pytest.raises(RenderError):
        ok(f"{TEMPLATES_DIR.as_uri()}/../pyproject.toml")
    r = fetch("data:text/plain;base64,aGk=")
    assert r.read() == b"hi"
    r.close()
    r = fetch(f"{tpl.as_uri()}/style.css?v=1#x")
    assert r.read() == b"p { color: red }"
    r.close()


def _svg_with(text: str) -> str:
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40">'
            f'<text x="5" y="25" font-family="DejaVu Sans" font-size="14">{text}</text></svg>')


def test_a_real_render_embeds_only_its_own_files(tmp_path, canary):
    tpl, customer, outside = tmp_path / "tpl", tmp_path / "customer", tmp_path / "outside"
    for d in (tpl, customer / "results", outside):
        d.mkdir(parents=True)
    (tpl / "style.css").write_text('.own::after { content: "OWNCSS"; }', encoding="utf-8")
    (customer / "results" / "chart.svg").write_text(_svg_with("OWNCHART"), encoding="utf-8")
    (outside / "secret.svg").write_text(_svg_with("OUTSIDESVG"), encoding="utf-8")
    (outside / "secret.css").write_text('.own::before { content: "OUTSIDECSS"; }', encoding="utf-8")
    (outside / "secret.txt").write_text("OUTSIDEATTACHMENT", encoding="utf-8")
    (tpl / "escape.svg").symlink_to(outside / "secret.svg")
    data_svg = base64.b64encode(_svg_with("DATAURI").encode()).decode()
    url = canary["url"]
    before = list(canary["hits"])
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<link rel="stylesheet" href="style.css">
<link rel="stylesheet" href="{(outside / 'secret.css').as_uri()}">
<link rel="stylesheet" href="../outside/secret.css">
<link rel="stylesheet" href="{url}/fetcher.css">
<link rel="attachment" href="file:///etc/passwd"><link rel="attachment" href="{(outside / 'secret.txt').as_uri()}">
<style>@import url("{url}/import.css"); @font-face {{ font-family: X; src: url("{url}/font.woff"); }}</style>
</head><body><p class="own">text</p>
<img src="{(customer / 'results' / 'chart.svg').as_uri()}">
<img src="data:image/svg+xml;base64,{data_svg}">
<img src="{(outside / 'secret.svg').as_uri()}"><img src="../outside/secret.svg"><img src="escape.svg">
<img src="file:///etc/passwd"><img src="{url}/fetcher.png">
<a href="#top">inside</a></body></html>"""
    info = DocumentInfo("document", "en", dt.datetime(2026, 9, 30, tzinfo=dt.timezone.utc))
    pdf = render_pdf(html, tmp_path / "doc.pdf", base_url=tpl, info=info, resources=[customer])
    text = _pdf_text(pdf)
    assert "OWNCSS" in text and "OWNCHART" in text and "DATAURI" in text   # its own files still work
    assert "OUTSIDE" not in text
    files = _attachments(pdf)
    assert not files, sorted(files)  # neither /etc/passwd nor the outside file became an attachment
    assert canary["hits"] == before  # nothing was requested from the network


# --------------------------------------------------------------------------- 3. notebook parameters
def _notebook(cells: list) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = cells
    return nb


def _echo_notebook(folder: Path) -> Path:
    """A notebook whose parameters cell declares customer_id, output_dir and result, and which writes the
    values it got to ``result`` as JSON."""
    params = nbformat.v4.new_code_cell('customer_id = "x"\noutput_dir = None\nresult = ""')
    params.metadata["tags"] = ["parameters"]
    nb = _notebook([params, nbformat.v4.new_code_cell(
        "import json\nwith open(result, 'w', encoding='utf-8') as fh:\n"
        "    json.dump({'customer_id': customer_id, 'output_dir': output_dir}, fh)")])
    path = folder / "echo.ipynb"
    nbformat.write(nb, path)
    return path


def _hostile_values(marker: Path) -> list[str]:
    m = str(marker)
    return [f"x'\nimport os; open({m!r},'w')\n#",
            f'"""; import os; open({m!r}, "w") #',
            f"\\\"; open({m!r}, 'w'); \"",
            f"'''\nopen({m!r}, 'w')\n'''",
            f"x\"\nopen({m!r}, 'w')\n\"",
            "\r\n\x00\u2028\U0001f600 {0} %s $(touch /tmp/x) `id` \\N{BULLET}"]


@pytest.mark.parametrize("engine", ["fresh", "warm"])
def test_parameter_values_never_run_as_code(tmp_path, engine):
    nb = _echo_notebook(tmp_path)
    marker = tmp_path / "injected.marker"
    for i, value in enumerate(_hostile_values(marker)):
        result = tmp_path / f"result-{i}.json"
        params = {"customer_id": value, "output_dir": value[::-1], "result": str(result), "undeclared": value}
        if engine == "warm":
            with kernel_pool().kernel() as kernel:
                execute_notebook(nb, tmp_path / f"out-{i}.ipynb", params, kernel=kernel)
        else:
            execute_notebook(nb, tmp_path / f"out-{i}.ipynb", params)
        assert not marker.exists(), value
        assert read_json(result) == {"customer_id": value, "output_dir": value[::-1]}, value


# --------------------------------------------------------------------------- 4. ids and --out
HOSTILE_IDS = ["../../escape", "..", ".", "", "/etc/passwd", "a/../../b", "a\\..\\b", "a\x00b", "x" * 10_000,
               "model", "MODEL", "model_x", "portfolio.pdf", "Manifest.json", "decisions.sqlite", "NUL", "nul.txt",
               "CON", "a.", ".hidden", "客户", "\ud800", "C001\n"]


def _check_name(name: str) -> None:
    assert name and name not in (".", "..")
    assert not any(c in name for c in "/\\\x00")
    assert len(name) <= SAFE_NAME_MAX == 80
    assert re.fullmatch(r"[A-Za-z0-9_.\-]+", name) and not name.startswith(".")
    assert not name.lower().startswith("model")  # never the model's folder, never skipped by the pack
    assert Path(name).name == name and len(Path(name).parts) == 1


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.text(alphabet="./\\\x00-_aA", max_size=40),
                 st.sampled_from(HOSTILE_IDS)))
@example("x" * 10_000)
def test_safe_name_is_one_safe_component(customer_id):
    name = safe_name(customer_id)
    _check_name(name)
    assert safe_name(customer_id) == name  # the same id always gets the same folder
    out = Path("/srv/out")
    assert (out / name).parent == out


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120), st.text(max_size=120))
@example("x/", "x_")
@example("a" * 61, "a" * 62)
@example("ab", "AB")
def test_distinct_ids_get_distinct_names(a, b):
    if a != b:
        assert safe_name(a) != safe_name(b)
    # the name a changed id gets is an id too: it must not land in the changed id's folder
    changed = safe_name(a)
    if changed != a:
        assert safe_name(changed) != changed
        _check_name(safe_name(changed))


def test_a_changed_name_used_as_an_id_gets_its_own_folder():
    for cid in HOSTILE_IDS:
        forged = safe_name(cid)  # the folder name, presented as a customer id of its own
        if forged != cid:
            assert safe_name(forged) != forged, cid
    assert safe_name("CASE1") == "CASE1" and safe_name("C-001.a_b") == "C-001.a_b"


def test_customer_output_dir_stays_in_reports():
    for cid in HOSTILE_IDS:
        folder = customer_output_dir(None, cid)
        assert folder.parent == REPORTS_DIR, cid
        assert customer_output_dir("/given/folder", cid) == Path("/given/folder")


def test_run_customer_writes_only_inside_out(tmp_path):
    nb = tmp_path / "nb"
    nb.mkdir()
    params = nbformat.v4.new_code_cell('customer_id = "x"\noutput_dir = None')
    params.metadata["tags"] = ["parameters"]
    notebook = _notebook([params, nbformat.v4.new_code_cell(
        "from helpers.data.store import write_json\n"
        "write_json(output_dir + '/results/echo.json', {'customer_id': customer_id})")])
    nbformat.write(notebook, nb / "echo.ipynb")
    out = tmp_path / "work" / "out"
    out.mkdir(parents=True)
    ids = ["../../escape", "/tmp/abs", "a\x00b", "x" * 10_000, "model", ".."]
    for cid in ids:
        run = run_customer(cid, snapshot=str(tmp_path / "no-snapshot.pkl"), out=str(out), as_of=AS_OF,
                           pipeline=(str(nb / "echo.ipynb"),))
        target = out / safe_name(cid)
        assert Path(run.folder) == target.resolve() and run.status == "failed"  # (no snapshot to render from)
        summary = read_json(target / "summary.json")
        assert summary["customer_id"] == cid  # the id is data, kept as it is
        assert read_json(target / "results" / "echo.json") == {"customer_id": cid}
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["out"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb", "work"]
    assert sorted(p.name for p in out.iterdir()) == sorted(safe_name(c) for c in ids)
    assert not (tmp_path / "escape").exists() and not Path("/tmp/abs").exists()


@pytest.fixture(scope="module")
def desk(batch, tmp_path_factory):
    log = f"sqlite:///{tmp_path_factory.mktemp('desk') / 'log.sqlite'}"
    d = OrderDesk(batch["out"], log=log)
    yield d
    d.log.dispose()


@pytest.mark.parametrize("cid, code", [("../../etc/passwd", "unknown_customer"), ("..", "unknown_customer"),
                                       ("a\x00b", "invalid_id"), ("x" * 10_000, "invalid_id"),
                                       ("C001\n", "invalid_id"), (" CASE1", "invalid_id"), ("", "invalid_id")])
def test_the_order_desk_refuses_hostile_ids_clearly(desk, cid, code):
    with pytest.raises(OrderError) as info:
        desk.check(cid, 100)
    assert info.value.code == code
    assert len(str(info.value)) < 300  # a 10,000-character id is not echoed whole
    with pytest.raises(OrderError):
        desk.customer(cid)


def test_the_command_refuses_hostile_ids_with_a_message(batch, tmp_path, capsys):
    log = f"sqlite:///{tmp_path / 'log.sqlite'}"
    base = ["--reports", str(batch["out"]), "--date", ON, "--log", log]
    assert main(["check-order", "../../etc/passwd", "100", *base]) == 2
    assert "There is no customer ../../etc/passwd in the data." in capsys.readouterr().err
    for cid in ("a\x00b", "x" * 10_000):
        assert main(["check-order", cid, "100", *base]) == 2
        err = capsys.readouterr().err
        assert "must be 1 to 64 printable characters" in err and len(err) < 400
    out = tmp_path / "runs" / "out"
    code = main(["batch", "--data", str(batch["data"]), "--out", str(out), "--customers", "../../x,CASE1",
                 "--as-of", AS_OF, "--no-progress", "--model", str(batch["model"])])
    err = capsys.readouterr().err
    assert code == 2 and "unknown customer id(s): ../../x" in err
    assert not (tmp_path / "x").exists() and not (tmp_path / "runs" / "x").exists()


# --------------------------------------------------------------------------- 5. formula injection
FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "=1+1"]


def test_portfolio_workbook_neutralizes_formulas_and_keeps_numbers(batch, tmp_path):
    case1 = read_json(batch["out"] / CID / "summary.json")
    assert case1["exposure"]["headroom"] < 0  # CASE1 is over its limit: a negative amount to keep
    out = tmp_path / "pack"
    for i, name in enumerate(FORMULAS):
        cid = f"F{i}"
        write_json(out / cid / "summary.json", {**case1, "customer_id": cid, "name": name,
                                                "account_manager": "=cmd|' /C calc'!A0"})
    write_json(out / "BELL" / "summary.json", {**case1, "customer_id": "BELL", "name": "bell\x07name"})
    write_json(out / "BROKEN" / "summary.json", {"customer_id": "BROKEN", "name": "-1", "status": "failed",
                                                 "as_of": AS_OF, "error": "=2+2", "notebook": "@x.ipynb",
                                                 "cell": 3, "lang": "en", "inputs_sha256": "f" * 64})
    policy = load_policy(DATA_SAMPLE / "policy.yaml")
    paths = write_portfolio_pack(out, lang="en", base_currency=policy.base_currency, policy=policy,
                                 policy_company="Test Co")
    wb = load_workbook(paths["xlsx"])
    sheet = wb.worksheets[0]
    header = [c.value for c in sheet[1]]
    col = {h: i for i, h in enumerate(header)}
    t = messages("en")
    by_id = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    for i, name in enumerate(FORMULAS):
        row = by_id[f"F{i}"]
        cell = row[col[t("pack.col.customer")]]
        assert cell.data_type == "s" and cell.value == "'" + name, (name, cell.value)
        manager = row[col[t("pack.col.account_manager")]]
        assert manager.value == "'=cmd|' /C calc'!A0" and manager.data_type == "s"
        headroom = row[col[t("pack.col.headroom_base", currency=formatter("en").currency_name("CNY"))]]
        assert headroom.data_type == "n" and isinstance(headroom.value, (int, float)) and headroom.value < 0
    bell = by_id["BELL"][col[t("pack.col.customer")]]
    assert bell.value == "bell\ufffdname"  # a control character does not stop the workbook
    broken = by_id["BROKEN"]
    assert broken[col[t("pack.col.customer")]].value == "'-1"
    assert broken[col[t("pack.col.error")]].value == "'=2+2"
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_PREFIXES), (ws.title, cell.coordinate, cell.value)
    # the PDF shows the names as they are (no quote there)
    text = _squash(_pdf_text(paths["pdf"]))
    assert _squash('=HYPERLINK("http://x","y")') in text and "@SUM(A1)" in text


def test_the_batchs_own_workbook_has_no_formula(batch):
    wb = load_workbook(batch["xlsx"])
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == batch["payloads"]["name"] for c in cells)  # markup is text here too, unchanged


# --------------------------------------------------------------------------- 6. the service
@pytest.fixture(scope="module")
def service(batch, tmp_path_factory):
    """The app on the batch's output, served by a real uvicorn on a free loopback port."""
    folder = tmp_path_factory.mktemp("service")
    keys = folder / "keys.yaml"
    erp, manager = new_key(keys, "erp-gateway", "erp"), new_key(keys, "manager", "manager")
    desk = OrderDesk(batch["out"], log=f"sqlite:///{folder / 'decisions.sqlite'}")
    app = create_app(desk, load_keys(keys), today=lambda: dt.date.fromisoformat(ON))
    with serve_in_thread(app) as url:
        yield {"app": app, "url": url, "erp": erp, "manager": manager}
    desk.log.dispose()


#: The routes anyone may call: the sign-in page and the forms that sign in and out.
PUBLIC = {("GET", "/manager"), ("POST", "/manager/login"), ("POST", "/manager/logout")}
_PATH_VALUES = {"customer_id": CID, "order_id": "SO-1", "entry_id": "1"}
_ANY_BODY = {"customer_id": CID, "amount": 100, "outcome": "cancelled", "reason": "a good reason"}


def _no_trace(r: httpx.Response) -> None:
    for sign in ("Traceback", 'File "', "site-packages", ".py\", line"):
        assert sign not in r.text, (r.request.url, r.text[:300])


def test_every_route_but_the_sign_in_refuses_without_a_key(service):
    routes = [(m, r.path) for r in service["app"].routes for m in sorted(getattr(r, "methods", None) or ())
              if m != "HEAD"]
    assert len(routes) >= 12 and PUBLIC <= set(routes)
    with httpx.Client(base_url=service["url"], timeout=10, follow_redirects=False) as c:
        for method, path in routes:
            url = re.sub(r"\{(\w+)\}", lambda m: _PATH_VALUES[m.group(1)], path)
            for headers in ({}, {"X-API-Key": "not-a-key"}, {"Authorization": "Bearer not-a-key"},
                            {"Cookie": "riskbook_session=ab.9999999999.cd"}):
                r = c.request(method, url, json=_ANY_BODY, headers=headers)
                _no_trace(r)
                if (method, path) in PUBLIC:
                    assert r.status_code in (200, 303, 401), (method, path, r.status_code)
                    if method == "GET":
                        assert 'name="key"' in r.text and "form_token" not in r.text  # the sign-in page only
                    continue
                redirect = r.status_code in (302, 303, 307) and "/manager" in r.headers.get("location", "")
                assert r.status_code in (401, 403) or redirect, (method, path, headers, r.status_code, r.text[:200])
        # an ERP key does not open the credit manager's routes
        r = c.post("/checks/1/release", json={"reason": "a good reason"}, headers={"X-API-Key": service["erp"]})
        assert r.status_code == 403


def test_request_bodies_are_bounded_before_the_key_is_checked(service):
    big = json.dumps({"customer_id": CID, "amount": 1, "order_id": "x" * 200_000}).encode()
    with httpx.Client(base_url=service["url"], timeout=30) as c:
        for headers in ({}, {"X-API-Key": service["erp"]}):
            r = c.post("/orders/check", content=big, headers={**headers, "content-type": "application/json"})
            assert r.status_code == 413 and r.json()["error"]["code"] == "invalid_request", r.text[:200]
            _no_trace(r)

        def chunks():  # no Content-Length: counted as it arrives
            for _ in range(40):
                yield b"x" * 8192

        r = c.post("/manager/login", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413
        r = c.post("/orders/check", json={"customer_id": "x" * 65, "amount": 1}, headers={"X-API-Key": service["erp"]})
        assert r.status_code == 422  # fields have their own limits
        r = c.post("/checks/1/release", json={"reason": "r" * 2001}, headers={"X-API-Key": service["manager"]})
        assert r.status_code == 422
        ok = c.post("/orders/check", json={"customer_id": CID, "amount": 10}, headers={"X-API-Key": service["erp"]})
        assert ok.status_code == 200 and ok.json()["customer_id"] == CID  # small bodies still pass


def test_no_response_carries_a_traceback(service):
    erp, manager = {"X-API-Key": service["erp"]}, {"X-API-Key": service["manager"]}
    cases = [("POST", "/orders/check", erp, {"content": b"{not json", "headers": {"content-type": "application/json"}}),
             ("POST", "/orders/check", erp, {"json": {"customer_id": ["x"], "amount": "NaN"}}),
             ("POST", "/orders/check", erp, {"content": b'{"customer_id": "CASE1", "amount": 1e400}',
                                             "headers": {"content-type": "application/json"}}),
             ("POST", "/orders/check", erp, {"json": {"customer_id": "a\x00b", "amount": 5}}),
             ("GET", "/customers/" + "x" * 10_000, erp, {}),
             ("GET", "/customers/..%2F..%2Fetc%2Fpasswd", erp, {}),
             ("GET", "/manager/reports/..%2F..%2Fetc/report.pdf", erp, {}),
             ("POST", f"/checks/{10 ** 30}/release", manager, {"json": {"reason": "a good reason"}}),
             ("POST", "/checks/abc/release", manager, {"json": {"reason": "a good reason"}}),
             ("POST", "/orders/SO-404/close", erp, {"json": {"outcome": "invoiced"}}),
             ("DELETE", "/orders/check", erp, {}), ("GET", "/nowhere", erp, {})]
    with httpx.Client(base_url=service["url"], timeout=10) as c:
        for method, path, headers, kwargs in cases:
            extra = kwargs.pop("headers", {})
            r = c.request(method, path, headers={**headers, **extra}, **kwargs)
            _no_trace(r)
            assert r.status_code >= 400 and r.json()["error"]["code"], (path[:60], r.status_code)
            assert len(r.text) < 2000, path[:60]
