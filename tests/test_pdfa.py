"""The archival PDFs a batch writes: PDF/A-3b structure, XMP, the attached evidence and its manifest,
no machine paths or clocks, and the same bytes from a second run.

One batch of CASE1 and C001 (module fixture) is inspected with pikepdf; a second batch of the same
customers into another folder checks that every PDF is byte-identical.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path

import pikepdf
import pytest
import yaml
from pypdf import PdfReader

from helpers.config import DATA_SAMPLE, PROJECT_ROOT

pytestmark = pytest.mark.e2e

AS_OF = "2026-09-30"
CUSTOMERS = ["CASE1", "C001"]
DOCUMENTS = ["CASE1/report.pdf", "model_validation.pdf", "portfolio.pdf"]
MANIFEST = "riskbook-evidence.json"
RISKBOOK_NS = "https://riskbook.dev/ns/report/1.0/"

EXPECTED_CASE1_ATTACHMENTS = {
    *(f"inputs/{t}.csv" for t in ("customers", "financial_statements", "bank_credit", "invoices", "contacts",
                                  "assessments", "fx_rates", "industry_benchmarks")),
    "context/peers.csv", "context/provision_matrix.csv",
    "policy.yaml", "model/scorecard.json",
    *(f"results/{s}.json" for s in ("profile", "financial_analysis", "credit_scoring", "scenario_cases",
                                    "monitoring", "risk_profile")),
    "summary.json",
    *(f"notebooks/{n}.ipynb" for n in ("financial_analysis", "credit_scoring", "scenario_cases", "monitoring")),
    MANIFEST,
}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def expected_relationship(name: str) -> str:
    """The AFRelationship an attachment must carry, by its name (ISO 19005-3 associated files).

    Raises AssertionError for a name no rule covers, so an unforeseen attachment is noticed."""
    if name.startswith(("inputs/", "context/", "customers/", "previous/")) or name in (
            "policy.yaml", "model/scorecard.json", "provision_matrix.json"):
        return "/Data"
    if name.startswith("notebooks/") and name.endswith(".ipynb"):
        return "/Source"
    if (name.startswith("results/") and name.endswith(".json")) or name in ("summary.json", "portfolio.json", MANIFEST):
        return "/Supplement"
    raise AssertionError(f"no relationship rule for attachment {name!r}")


def _batch(portfolio, out: Path) -> Path:
    from helpers.pipeline import run_batch

    with pytest.MonkeyPatch.context() as mp:  # documents are dated by as_of, not by a caller's epoch
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        result = run_batch(portfolio, out, customers=CUSTOMERS, progress=False)
    assert [r.status for r in result.runs] == ["ok", "ok"], [r.error for r in result.runs]
    return out


@pytest.fixture(scope="module")
def out(tmp_path_factory, portfolio):
    """The first batch's output folder (CASE1 and C001 as of 2026-09-30)."""
    return _batch(portfolio, tmp_path_factory.mktemp("pdfa") / "out")


@pytest.fixture(scope="module")
def docs(out):
    """Each document opened with pikepdf (kept open for the module)."""
    opened = {name: pikepdf.open(out / name) for name in DOCUMENTS}
    yield opened
    for pdf in opened.values():
        pdf.close()


@pytest.fixture(scope="module")
def attachments(docs):
    """Each document's attachments: name → bytes."""
    return {name: {n: spec.get_file().read_bytes() for n, spec in pdf.attachments.items()}
            for name, pdf in docs.items()}


@pytest.fixture(scope="module")
def page_text(out):
    """Each document's extracted page text."""
    return {name: "\n".join(page.extract_text() or "" for page in PdfReader(out / name).pages) for name in DOCUMENTS}


def _xmp(pdf) -> dict:
    with pdf.open_metadata() as meta:
        return {k: meta[k] for k in meta}


def _csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


# ---- PDF/A structure

@pytest.mark.parametrize("name", DOCUMENTS)
def test_pdfa_identification_output_intent_and_language(docs, name):
    """Each document declares PDF/A-3b in XMP, carries the sRGB PDF/A output intent with its ICC
    profile, and names its language in the catalogue (/Lang)."""
    pdf = docs[name]
    xmp = _xmp(pdf)
    assert xmp["{http://www.aiim.org/pdfa/ns/id/}part"] == "3"
    assert xmp["{http://www.aiim.org/pdfa/ns/id/}conformance"] == "B"
    intents = pdf.Root.OutputIntents
    assert len(intents) >= 1
    gts = [i for i in intents if i.S == pikepdf.Name("/GTS_PDFA1")]
    assert gts, "no /GTS_PDFA1 output intent"
    profile = gts[0].DestOutputProfile
    assert isinstance(profile, pikepdf.Stream) and len(profile.read_bytes()) > 0
    assert str(pdf.Root.get("/Lang", "")).strip() == "en"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_af_lists_every_embedded_file_with_its_relationship(docs, name):
    """The catalogue's /AF array references exactly the file specifications of the embedded-file name
    tree, and each file's /AFRelationship matches its role (inputs, context, policy, model → Data,
    notebooks → Source, results, summaries and the manifest → Supplement)."""
    pdf = docs[name]
    tree = pdf.Root.Names.EmbeddedFiles.Names
    embedded = {str(tree[i]): tree[i + 1] for i in range(0, len(tree), 2)}
    assert MANIFEST in embedded
    af = {spec.objgen for spec in pdf.Root.AF}
    assert af == {spec.objgen for spec in embedded.values()}
    for file_name, spec in embedded.items():
        assert str(spec.get("/AFRelationship")) == expected_relationship(file_name), file_name
        assert "/F" in spec.EF and spec.EF.F.read_bytes() is not None


def _page_fonts(resources, seen_forms):
    """Every font dictionary reachable from a resource dictionary, through Form XObjects."""
    if resources is None:
        return
    for font in (resources.get("/Font") or {}).values():
        yield font
    for xobject in (resources.get("/XObject") or {}).values():
        if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen_forms:
            seen_forms.add(xobject.objgen)
            yield from _page_fonts(xobject.get("/Resources"), seen_forms)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_font_is_embedded_and_maps_to_unicode(docs, name):
    """Every font used on any page (and in the forms it draws) has its program embedded (FontFile2 or
    FontFile3 on the descriptor, of the descendant font for a Type0 font) and a /ToUnicode map, as
    PDF/A requires for text that can be searched and extracted."""
    pdf = docs[name]
    fonts, forms = {}, set()
    for page in pdf.pages:
        for font in _page_fonts(page.obj.get("/Resources"), forms):
            fonts[font.objgen] = font
    assert fonts
    for font in fonts.values():
        label = str(font.get("/BaseFont", font.objgen))
        assert "/ToUnicode" in font, f"{label}: no /ToUnicode"
        if font.Subtype == "/Type3":
            continue  # glyphs are content streams of the PDF itself
        descendants = list(font.DescendantFonts) if font.Subtype == "/Type0" else [font]
        for d in descendants:
            descriptor = d.FontDescriptor
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor or "/FontFile" in descriptor, \
                f"{label}: font program not embedded"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_documents_are_tagged(docs, name):
    """The PDF is tagged: /MarkInfo /Marked is true and there is a structure tree."""
    pdf = docs[name]
    assert bool(pdf.Root.MarkInfo.Marked) is True
    assert isinstance(pdf.Root.StructTreeRoot, pikepdf.Dictionary)
    assert pdf.Root.StructTreeRoot.Type == pikepdf.Name("/StructTreeRoot")


# ---- XMP

def test_customer_report_xmp_describes_the_report(docs, attachments):
    """CASE1's XMP names its title, the policy's company as creator, its language, keywords, the
    analysis date as creation date, riskbook's customer id and the SHA-256 of the attached manifest."""
    pdf = docs["CASE1/report.pdf"]
    xmp = _xmp(pdf)
    company = yaml.safe_load((DATA_SAMPLE / "policy.yaml").read_text(encoding="utf-8"))["company"]
    title = xmp["{http://purl.org/dc/elements/1.1/}title"]
    assert "CASE1" in title
    assert list(xmp["{http://purl.org/dc/elements/1.1/}creator"]) == [company]
    assert set(xmp["{http://purl.org/dc/elements/1.1/}language"]) == {"en"}
    keywords = xmp["{http://ns.adobe.com/pdf/1.3/}Keywords"]
    assert "CASE1" in keywords and AS_OF in keywords
    assert xmp["{http://ns.adobe.com/xap/1.0/}CreateDate"] == f"{AS_OF}T00:00:00Z"
    assert xmp[f"{{{RISKBOOK_NS}}}customerId"] == "CASE1"
    assert xmp[f"{{{RISKBOOK_NS}}}asOf"] == AS_OF
    assert xmp[f"{{{RISKBOOK_NS}}}kind"] == "customer_report"
    assert xmp[f"{{{RISKBOOK_NS}}}evidenceSha256"] == _sha(attachments["CASE1/report.pdf"][MANIFEST])
    assert str(pdf.trailer.Info.CreationDate).startswith("D:20260930")


@pytest.mark.parametrize("name", DOCUMENTS)
def test_xmp_names_the_manifest_hash_of_every_document(docs, attachments, name):
    """Every document's riskbook:evidenceSha256 is the SHA-256 of its own attached manifest, and its
    creation date is the analysis date, not the day it was run."""
    xmp = _xmp(docs[name])
    assert xmp[f"{{{RISKBOOK_NS}}}evidenceSha256"] == _sha(attachments[name][MANIFEST])
    assert xmp["{http://ns.adobe.com/xap/1.0/}CreateDate"].startswith(AS_OF)


# ---- the evidence

def test_customer_report_attaches_exactly_the_expected_files(attachments):
    """CASE1's report attaches its input extract, the portfolio context, policy, model, every
    notebook's results, the summary, the executed notebooks and the manifest — nothing else."""
    assert set(attachments["CASE1/report.pdf"]) == EXPECTED_CASE1_ATTACHMENTS


def test_input_extract_holds_only_the_customers_rows(attachments):
    """inputs/customers.csv is CASE1's single row; inputs/invoices.csv holds CASE1's invoices, all of
    them and only them (as many as data/sample/invoices.csv has for CASE1)."""
    files = attachments["CASE1/report.pdf"]
    customers = _csv_rows(files["inputs/customers.csv"])
    assert [r["customer_id"] for r in customers] == ["CASE1"]
    invoices = _csv_rows(files["inputs/invoices.csv"])
    sample = _csv_rows((DATA_SAMPLE / "invoices.csv").read_bytes())
    expected = [r["invoice_id"] for r in sample if r["customer_id"] == "CASE1"]
    assert invoices and {r["customer_id"] for r in invoices} == {"CASE1"}
    assert len(invoices) == len(expected) and sorted(r["invoice_id"] for r in invoices) == sorted(expected)
    assert len(sample) > len(invoices)  # other customers' rows were really left out


@pytest.mark.parametrize("name", DOCUMENTS)
def test_manifest_lists_every_other_attachment_with_its_hash(docs, attachments, name):
    """The manifest's ``files`` names every attachment but itself, with the exact size, SHA-256 and
    relationship of the bytes actually attached."""
    files = attachments[name]
    manifest = json.loads(files[MANIFEST])
    listed = {e["name"]: e for e in manifest["files"]}
    assert len(listed) == len(manifest["files"])
    assert set(listed) == set(files) - {MANIFEST}
    relationships = {n: str(s.obj.get("/AFRelationship")) for n, s in docs[name].attachments.items()}
    for file_name, entry in listed.items():
        assert entry["sha256"] == _sha(files[file_name]), file_name
        assert entry["bytes"] == len(files[file_name]), file_name
        assert "/" + entry["relationship"] == relationships[file_name], file_name


def test_manifest_hashes_the_full_input_tables_and_policy(attachments):
    """The manifest's data.tables_sha256 is the SHA-256 of each full file of data/sample (every table,
    not the customer's extract) and of policy.yaml."""
    manifest = json.loads(attachments["CASE1/report.pdf"][MANIFEST])
    tables = manifest["data"]["tables_sha256"]
    expected = {p.stem: _sha(p.read_bytes()) for p in sorted(DATA_SAMPLE.glob("*.csv"))}
    expected["policy"] = _sha((DATA_SAMPLE / "policy.yaml").read_bytes())
    assert tables == expected
    assert tables["invoices"] != _sha(attachments["CASE1/report.pdf"]["inputs/invoices.csv"])
    assert manifest["policy"]["sha256"] == expected["policy"]


def _font_file(name: str) -> Path:
    hits = sorted(Path("/usr/share/fonts").rglob(name))
    if not hits:
        pytest.skip(f"{name} is not installed under /usr/share/fonts")
    return hits[0]


def test_manifest_font_hash_is_the_font_file_on_disk(attachments):
    """The manifest records the SHA-256 and size of the whole font file the layout used: for the
    DejaVu Sans 400 face, those of DejaVuSans.ttf on disk (not of the subset in the PDF)."""
    manifest = json.loads(attachments["CASE1/report.pdf"][MANIFEST])
    regular = [f for f in manifest["fonts"] if "DejaVu Sans 400 normal" in f["faces"]]
    assert len(regular) == 1
    path = _font_file("DejaVuSans.ttf")
    data = path.read_bytes()
    assert regular[0]["sha256"] == _sha(data)
    assert regular[0]["bytes"] == len(data)
    assert regular[0]["family"] == "DejaVu Sans"
    assert len({f["sha256"] for f in manifest["fonts"]}) == len(manifest["fonts"])


def _forbidden(out: Path) -> list[str]:
    return sorted({str(PROJECT_ROOT), "/work/main", str(out), str(out.resolve()), str(out.parent), "staging"})


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_machine_path_in_evidence_or_text(out, attachments, page_text, name):
    """No attachment, no manifest and no page text holds the checkout's absolute path, the output
    folder or a staging folder's name (also with the text's line breaks taken out, and with paths
    JSON-escaped as they would be inside a notebook)."""
    forbidden = _forbidden(out)
    for file_name, data in attachments[name].items():
        text = data.decode("utf-8", "replace")
        for s in forbidden:
            assert s not in text and json.dumps(s)[1:-1] not in text, f"{name}:{file_name} contains {s!r}"
    text = page_text[name]
    squeezed = re.sub(r"\s+", "", text)
    for s in forbidden:
        assert s not in text and s not in squeezed, f"{name}: page text contains {s!r}"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_page_text_has_no_wall_clock_date(page_text, name):
    """The page text prints the analysis date, never the day the batch ran (unless it is that day)."""
    today = dt.date.today()
    text = page_text[name]
    assert AS_OF in text
    if today.isoformat() != AS_OF:
        assert today.isoformat() not in text
        assert today.strftime("%d %B %Y") not in text and today.strftime("%B %d, %Y") not in text
        assert today.strftime("%B %-d, %Y") not in text and today.strftime("%-d %B %Y") not in text


# ---- reproducibility

def test_second_batch_gives_identical_bytes(tmp_path_factory, out):
    """A second batch of the same customers, from a freshly loaded portfolio, into another folder,
    writes byte-identical PDFs: both customer reports, the model validation and the portfolio pack."""
    from helpers.data import load_portfolio

    again = _batch(load_portfolio(DATA_SAMPLE, as_of=AS_OF), tmp_path_factory.mktemp("pdfa-again") / "elsewhere")
    names = [f"{c}/report.pdf" for c in CUSTOMERS] + ["model_validation.pdf", "portfolio.pdf"]
    different = [n for n in names if (out / n).read_bytes() != (again / n).read_bytes()]
    assert different == []


def _small_document(target: Path) -> Path:
    """A tiny document through the real template head and render_pdf, dated as a report is."""
    from helpers.report.context import generated_at
    from helpers.report.pdfa import DocumentInfo, EvidenceFile
    from helpers.report.render import document_meta, render_html, render_pdf

    date = generated_at(AS_OF)
    html = render_html({"lang": "en", "document": document_meta("en", author="Test Co", keywords=["k"])},
                       template="base.html.j2")
    info = DocumentInfo("document", "en", date)
    return render_pdf(html, target, info=info, attachments=[EvidenceFile("a.txt", b"x", "Data", "input")])


def test_source_date_epoch_sets_the_creation_date(tmp_path, monkeypatch):
    """SOURCE_DATE_EPOCH replaces the analysis date as the document date: the /Info CreationDate,
    xmp:CreateDate, xmp:MetadataDate and the attachment's date follow it; without it they are the
    analysis date."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    plain = pikepdf.open(_small_document(tmp_path / "plain.pdf"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    dated = pikepdf.open(_small_document(tmp_path / "dated.pdf"))

    assert str(plain.trailer.Info.CreationDate).startswith("D:20260930000000")
    assert str(dated.trailer.Info.CreationDate).startswith("D:20231114221320")
    for pdf, day in ((plain, "2026-09-30T00:00:00"), (dated, "2023-11-14T22:13:20")):
        xmp = _xmp(pdf)
        assert xmp["{http://ns.adobe.com/xap/1.0/}CreateDate"].startswith(day)
        assert xmp["{http://ns.adobe.com/xap/1.0/}MetadataDate"].startswith(day)
    spec = dated.attachments["a.txt"]
    assert str(spec.obj.EF.F.Params.CreationDate).startswith("D:20231114221320")
