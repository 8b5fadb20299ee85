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
from ..data.store import atomic_write_bytes, load_results
from ..exceptions import RenderError
from .context import build_context, chart_uris, generated_at, html_lang
from .formatting import DEFAULT_LANGUAGE, check_language, formatter
from .localize import text_for, validation_text

__all__ = ["environment", "render_validation", "render_html", "render_pdf", "render_report"]


def environment(lang: str = DEFAULT_LANGUAGE, templates: str | Path = TEMPLATES_DIR) -> Environment:
    """The Jinja2 environment of one language: autoescape, strict undefined, the formatting filters
    (``num``, ``money``, ``pct``, ``ratio``, ``date``, ``amount``) and the global ``t``.

    One environment per language and template folder is kept for the process, so each template is
    compiled once per worker, not once per report (Jinja2 still reloads a template whose file changed).
    """
    return _environment(check_language(lang), str(Path(templates).resolve()))


@lru_cache(maxsize=16)
def _environment(lang: str, templates: str) -> Environment:
    f = formatter(lang)
    env = Environment(loader=FileSystemLoader(str(templates)), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=f.number, money=f.money, pct=f.percent, ratio=f.ratio, date=f.date, amount=f.amount,
                       currency=f.currency_name)
    env.globals.update(t=text_for(lang).t, lang=lang, html_lang=html_lang(lang))
    return env


def render_html(context: dict, *, template: str = "report.html.j2", templates: str | Path = TEMPLATES_DIR) -> str:
    """Render a template with ``context`` (its ``lang`` picks the language) to an HTML string."""
    lang = context.get("lang", DEFAULT_LANGUAGE)
    return environment(lang, templates).get_template(template).render(**context)


def render_pdf(html: str, target: str | Path, *, base_url: str | Path = TEMPLATES_DIR) -> Path:
    """Render HTML to a PDF with WeasyPrint, written atomically to ``target``.

    Raises
    ------
    RenderError
        When WeasyPrint fails.
    """
    from weasyprint import HTML  # WeasyPrint loads Pango; only rendering needs it

    try:
        pdf = HTML(string=html, base_url=str(base_url)).write_pdf()
    except Exception as exc:  # WeasyPrint raises many kinds
        raise RenderError(f"WeasyPrint could not render {target}: {exc}") from exc
    return atomic_write_bytes(target, pdf)


def render_report(customer_dir: str | Path, *, lang: str = DEFAULT_LANGUAGE, provenance: dict | None = None,
                  templates: str | Path = TEMPLATES_DIR) -> Path:
    """Render ``<customer_dir>/report.pdf`` from the customer's results, in ``lang``."""
    customer_dir = Path(customer_dir)
    context = build_context(customer_dir, lang=lang, provenance=provenance)
    html = render_html(context, templates=templates)
    return render_pdf(html, customer_dir / "report.pdf", base_url=templates)


def render_validation(model_dir: str | Path, target: str | Path | None = None, *, lang: str = DEFAULT_LANGUAGE,
                      templates: str | Path = TEMPLATES_DIR) -> Path:
    """Render the model validation report from ``<model_dir>/results/model_validation.json``.

    Parameters
    ----------
    model_dir : str or Path
        The model folder (artifact, ``results/`` with the pack and its charts).
    target : str or Path, optional
        The PDF to write; default: ``model_validation.pdf`` beside ``model_dir``.
    lang : {"en", "zh"}
        The report's language.
    """
    lang = check_language(lang)
    model_dir = Path(model_dir)
    results = load_results(model_dir)
    if "model_validation" not in results:
        raise RenderError(f"{model_dir}: results/model_validation.json is missing; run model_development first")
    context = {"pack": validation_text(results["model_validation"], text_for(lang)), "charts": chart_uris(model_dir),
               "generated": generated_at().strftime("%Y-%m-%d %H:%M UTC"), "lang": lang}
    html = render_html(context, template="model_validation.html.j2", templates=templates)
    target = Path(target) if target else model_dir.parent / "model_validation.pdf"
    return render_pdf(html, target, base_url=templates)
