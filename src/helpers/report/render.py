"""Context building and PDF rendering: results → Jinja2 template → WeasyPrint → ``report.pdf``.

The template gets data, not logic: :func:`build_context` gathers everything the report shows
from the customer's ``results/*.json`` and ``summary.json``; the Jinja2 filters below only
format numbers and dates.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..config import TEMPLATES_DIR
from ..data.store import atomic_write_bytes, load_results
from ..exceptions import RenderError
from .context import build_context, chart_uris
from .formatting import fmt_date, fmt_money, fmt_number, fmt_percent, fmt_ratio

__all__ = ["render_validation", "render_html", "render_pdf", "render_report"]

def _environment(templates: Path) -> Environment:
    env = Environment(loader=FileSystemLoader(str(templates)), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=fmt_number, money=fmt_money, pct=fmt_percent, ratio=fmt_ratio, date=fmt_date)
    return env


def render_html(context: dict, *, template: str = "report.html.j2", templates: str | Path = TEMPLATES_DIR) -> str:
    """Render the report template with ``context`` to an HTML string."""
    return _environment(Path(templates)).get_template(template).render(**context)


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


def render_report(customer_dir: str | Path, *, provenance: dict | None = None,
                  templates: str | Path = TEMPLATES_DIR) -> Path:
    """Render ``<customer_dir>/report.pdf`` from the customer's results."""
    customer_dir = Path(customer_dir)
    context = build_context(customer_dir, provenance=provenance)
    html = render_html(context, templates=templates)
    return render_pdf(html, customer_dir / "report.pdf", base_url=templates)


def render_validation(model_dir: str | Path, target: str | Path | None = None, *,
                      templates: str | Path = TEMPLATES_DIR) -> Path:
    """Render the model validation report from ``<model_dir>/results/model_validation.json``.

    Parameters
    ----------
    model_dir : str or Path
        The model folder (artifact, ``results/`` with the pack and its charts).
    target : str or Path, optional
        The PDF to write; default: ``model_validation.pdf`` beside ``model_dir``.
    """
    model_dir = Path(model_dir)
    results = load_results(model_dir)
    if "model_validation" not in results:
        raise RenderError(f"{model_dir}: results/model_validation.json is missing; run model_development first")
    charts = chart_uris(model_dir)
    context = {"pack": results["model_validation"], "charts": charts,
               "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    html = render_html(context, template="model_validation.html.j2", templates=templates)
    target = Path(target) if target else model_dir.parent / "model_validation.pdf"
    return render_pdf(html, target, base_url=templates)
