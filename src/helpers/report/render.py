"""PDF rendering: context → Jinja2 template → WeasyPrint → ``report.pdf``, in the report's language.

The template gets data, not logic: :func:`helpers.report.context.build_context` gathers and words
everything the report shows; the Jinja2 filters below only format numbers and dates, with the
language's :class:`~helpers.report.formatting.Formatter`, and ``t()`` looks up the catalogue.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..config import TEMPLATES_DIR
from ..data.store import atomic_write_bytes, load_results, read_json
from ..exceptions import RenderError
from .context import build_context, chart_uris, date_text, generated_at, html_lang
from .evidence import model_evidence, model_manifest
from .pdfa import DocumentInfo, EvidenceFile, check_resource_url, report_url_fetcher, write_pdfa
from .formatting import DEFAULT_LANGUAGE, check_language, formatter
from .localize import text_for, validation_text

__all__ = ["environment", "render_validation", "render_html", "render_pdf", "render_report", "describe",
           "evidence_rows", "document_meta", "report_url_fetcher", "check_resource_url"]


def environment(lang: str = DEFAULT_LANGUAGE, templates: str | Path = TEMPLATES_DIR) -> Environment:
    """The Jinja2 environment of one language: autoescape, strict undefined, the formatting filters
    (``num``, ``money``, ``pct``, ``ratio``, ``date``, ``amount``) and the global ``t``.

    Autoescape is on for every template, whatever its file name (``report.html.j2``, a ``.css`` or a
    template a caller adds): data is always text, never markup, and nothing marks data safe (the
    ``tm()`` macro escapes its arguments before it marks the catalogue's own markup safe).

    One environment per language and template folder is kept for the process, so each template is
    compiled once per worker, not once per report (Jinja2 still reloads a template whose file changed).
    """
    return _environment(check_language(lang), str(Path(templates).resolve()))


@lru_cache(maxsize=16)
def _environment(lang: str, templates: str) -> Environment:
    f = formatter(lang)
    env = Environment(loader=FileSystemLoader(str(templates)),
                      autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=f.number, money=f.money, pct=f.percent, ratio=f.ratio, date=f.date, amount=f.amount,
                       currency=f.currency_name)
    env.globals.update(t=text_for(lang).t, lang=lang, html_lang=html_lang(lang))
    return env


def render_html(context: dict, *, template: str = "report.html.j2", templates: str | Path = TEMPLATES_DIR) -> str:
    """Render a template with ``context`` (its ``lang`` picks the language) to an HTML string."""
    lang = context.get("lang", DEFAULT_LANGUAGE)
    return environment(lang, templates).get_template(template).render(**context)


def render_pdf(html: str, target: str | Path, *, base_url: str | Path = TEMPLATES_DIR, info: DocumentInfo | None = None,
               attachments: list[EvidenceFile] = (), manifest=None, resources=()) -> Path:
    """Render HTML to a PDF/A-3b file with WeasyPrint, written atomically to ``target``.

    WeasyPrint reads only ``data:`` URIs and files under ``base_url`` (the template folder) and
    ``resources`` (:func:`report_url_fetcher`): no network, no other file.

    Parameters
    ----------
    base_url : str or Path
        The template folder: the stylesheet and relative URLs resolve here.
    info : DocumentInfo, optional
        Kind, language, date and XMP properties (default: a plain document dated
        :func:`~helpers.report.context.generated_at`, in English).
    attachments : list of EvidenceFile
        Files to attach (:mod:`helpers.report.pdfa`).
    manifest : callable, optional
        Builds the provenance manifest from the fonts used (:func:`helpers.report.pdfa.write_pdfa`).
    resources : iterable of str or Path
        The document's own folders its images come from (a customer folder, the model folder).

    Raises
    ------
    RenderError
        When WeasyPrint fails.
    """
    info = info or DocumentInfo("document", "en", generated_at())
    return write_pdfa(html, target, base_url=base_url, info=info, attachments=list(attachments), manifest=manifest,
                      resources=resources)[0]


def describe(files: list[EvidenceFile], lang: str) -> list[EvidenceFile]:
    """The attachments with the description a PDF reader shows, in ``lang`` (from the catalogue)."""
    tx = text_for(lang)
    out = []
    for f in files:
        stem = Path(f.name).parent.name if f.role == "customer_summary" else Path(f.name).stem
        out.append(EvidenceFile(f.name, f.data, f.relationship, f.role, tx.t(f"evidence.role.{f.role}", name=stem)))
    return out


def evidence_rows(files: list[EvidenceFile]) -> list[dict]:
    """The appendix's table of attachments (already through :func:`describe`): file, what it is, size and SHA-256."""
    return [{"name": f.name, "what": f.description, "bytes": len(f.data), "sha256": f.sha256} for f in files]


def document_meta(lang: str, *, author: str, keywords: list[str]) -> dict:
    """What the HTML head declares for the PDF's metadata: author and keywords (the dates are the
    :class:`~helpers.report.pdfa.DocumentInfo`'s, set by :func:`~helpers.report.pdfa.write_pdfa`)."""
    return {"author": author or text_for(lang).t("doc.brand"), "keywords": [k for k in keywords if k]}


def render_report(customer_dir: str | Path, *, lang: str = DEFAULT_LANGUAGE, provenance: dict | None = None,
                  templates: str | Path = TEMPLATES_DIR, evidence: list[EvidenceFile] = (), manifest=None,
                  author: str = "") -> Path:
    """Render ``<customer_dir>/report.pdf`` from the customer's results, in ``lang``: PDF/A-3b, with the
    ``evidence`` attached and ``manifest(fonts)`` as its provenance manifest (see
    :func:`helpers.report.evidence.customer_evidence`)."""
    customer_dir = Path(customer_dir)
    context = build_context(customer_dir, lang=lang, provenance=provenance)
    s = context["summary"]
    date = generated_at(s.get("as_of"))
    context["document"] = document_meta(lang, author=author, keywords=[
        text_for(lang).t("doc.keywords.report"), s.get("customer_id"), s.get("grade"), s.get("as_of")])
    files = describe(list(evidence), lang)
    context["evidence"] = evidence_rows(files)
    html = render_html(context, templates=templates)
    info = DocumentInfo("customer_report", html_lang(lang), date,
                        {"customerId": str(s.get("customer_id", "")), "asOf": str(s.get("as_of", "")),
                         "modelVersion": str(s.get("model_version") or ""),
                         "policyVersion": str(context["profile"]["provenance"].get("policy_version") or "")},
                        text_for(lang).t("evidence.role.manifest"))
    return render_pdf(html, customer_dir / "report.pdf", base_url=templates, info=info, attachments=files,
                      manifest=manifest, resources=[customer_dir])


def render_validation(model_dir: str | Path, target: str | Path | None = None, *, lang: str = DEFAULT_LANGUAGE,
                      templates: str | Path = TEMPLATES_DIR, evidence: list[EvidenceFile] = (), manifest=None,
                      author: str = "", portfolio=None) -> Path:
    """Render the model validation report from ``<model_dir>/results/model_validation.json``.

    Parameters
    ----------
    model_dir : str or Path
        The model folder (artifact, ``results/`` with the pack and its charts).
    target : str or Path, optional
        The PDF to write; default: ``model_validation.pdf`` beside ``model_dir``.
    lang : {"en", "zh"}
        The report's language.
    evidence, manifest, author
        The attachments, the manifest builder and the author, as for :func:`render_report`.
    portfolio : helpers.data.Portfolio, optional
        When no ``evidence`` is given: the portfolio the model was developed on, whose outcome history,
        current customers and policy are attached with the artifact and the pack (what a notebook run in
        JupyterLab does; the batch attaches the executed notebook too).
    """
    lang = check_language(lang)
    model_dir = Path(model_dir)
    results = load_results(model_dir)
    if "model_validation" not in results:
        raise RenderError(f"{model_dir}: results/model_validation.json is missing; run model_development first")
    pack = results["model_validation"]
    if portfolio is not None and not evidence:
        artifact = read_json(model_dir / "scorecard.json")
        evidence, facts = model_evidence(portfolio, model_dir, notebooks=False)
        manifest = model_manifest(portfolio, evidence, facts, model_version=artifact.get("model_version", ""),
                                  checksum=artifact.get("checksum", ""), lang=lang)
        author = author or portfolio.policy.company
    as_of = pack.get("as_of") or (pack.get("model") or {}).get("as_of")
    date = generated_at(as_of)
    files = describe(list(evidence), lang)
    context = {"pack": validation_text(pack, text_for(lang)), "charts": chart_uris(model_dir),
               "generated": date_text(date, lang), "lang": lang, "evidence": evidence_rows(files),
               "document": document_meta(lang, author=author, keywords=[
                   text_for(lang).t("doc.keywords.validation"), (pack.get("model") or {}).get("version")])}
    html = render_html(context, template="model_validation.html.j2", templates=templates)
    target = Path(target) if target else model_dir.parent / "model_validation.pdf"
    info = DocumentInfo("model_validation", html_lang(lang), date,
                        {"modelVersion": str((pack.get("model") or {}).get("version") or ""), "asOf": str(as_of or "")},
                        text_for(lang).t("evidence.role.manifest"))
    return render_pdf(html, target, base_url=templates, info=info, attachments=files, manifest=manifest,
                      resources=[model_dir])
