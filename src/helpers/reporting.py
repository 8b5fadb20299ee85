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

from .config import TEMPLATES_DIR
from .exceptions import RenderError
from .results import atomic_write_bytes, load_results, read_json

__all__ = ["merge_summaries", "build_context", "render_validation", "render_html", "render_pdf", "render_report", "fmt_number", "fmt_money"]

_MISSING = "n/a"


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def fmt_number(value, digits: int = 2) -> str:
    """Format a number with thousands separators and ``digits`` decimals; ``n/a`` when missing."""
    if _is_missing(value):
        return _MISSING
    return f"{value:,.{digits}f}"


def fmt_money(value, scale: float = 1_000.0, digits: int = 0) -> str:
    """Format an amount divided by ``scale`` (thousands by default), negatives in parentheses."""
    if _is_missing(value):
        return _MISSING
    v = value / scale
    text = f"{abs(v):,.{digits}f}"
    return f"({text})" if v < 0 and text.strip("0.,") else text


def fmt_percent(value, digits: int = 1) -> str:
    """Format a fraction as percent (0.123 → ``12.3 %``)."""
    if _is_missing(value):
        return _MISSING
    return f"{value * 100:,.{digits}f} %"


def fmt_ratio(value, unit: str = "x") -> str:
    """Format a catalogue ratio by its unit (``x``, ``%``, ``days``, ``months``, ``amount``)."""
    if unit == "%":
        return fmt_percent(value)
    if unit == "days":
        return fmt_number(value, 0)
    if unit == "months":
        return fmt_number(value, 1)
    if unit == "amount":
        return fmt_money(value)
    return fmt_number(value, 2)


def fmt_date(value) -> str:
    """Format an ISO date string or date as ``YYYY-MM-DD``."""
    if _is_missing(value) or value == "":
        return _MISSING
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    return str(value)[:10]


def _environment(templates: Path) -> Environment:
    env = Environment(loader=FileSystemLoader(str(templates)), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=fmt_number, money=fmt_money, pct=fmt_percent, ratio=fmt_ratio, date=fmt_date)
    return env


def _chart_uris(folder: Path) -> dict[str, str]:
    """Chart name → file URI of every ``results/*.svg`` in a customer or model folder."""
    return {p.stem: p.resolve().as_uri() for p in sorted((folder / "results").glob("*.svg"))}


def merge_summaries(results: dict) -> dict:
    """Merge the ``summary`` part of every section's results into one dict (for ``summary.json``).

    The profile comes first, so later sections (scoring, decisions) add to it.
    """
    summary = {}
    for name in sorted(results, key=lambda n: n != "profile"):
        summary.update(results[name].get("summary", {}))
    return summary


def build_context(customer_dir: str | Path, *, provenance: dict | None = None) -> dict:
    """Gather what the report shows for one customer.

    Parameters
    ----------
    customer_dir : str or Path
        The customer's output folder (``results/`` inside, ``summary.json`` beside).
    provenance : dict, optional
        Run facts from the runner (notebooks executed, code version, library versions, timings).

    Returns
    -------
    dict
        ``summary``, ``profile``, ``financial`` (or None), ``charts`` ({name: file URI}),
        ``provenance`` and ``generated``.
    """
    customer_dir = Path(customer_dir)
    results = load_results(customer_dir)
    if "profile" not in results:
        raise RenderError(f"{customer_dir}: results/profile.json is missing; run the notebooks first")
    summary_path = customer_dir / "summary.json"
    summary = read_json(summary_path) if summary_path.exists() else {**merge_summaries(results), "status": "draft"}
    financial = results.get("financial_analysis")
    charts = _chart_uris(customer_dir)
    return {
        "summary": summary,
        "profile": results["profile"],
        "credit": results.get("credit_scoring"),
        "decision": results.get("scenario_cases"),
        "financial": financial,
        "cover_facts": _cover_facts(financial),
        "charts": charts,
        "provenance": provenance or {},
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _cover_facts(financial: dict | None) -> list[dict]:
    """Headline figures for page one: liquidity ratios with their lights, revenue and equity."""
    if not financial or not financial.get("years"):
        return []
    year = financial["latest_year"]
    facts = []
    for r in financial["ratios"]:
        if r["ratio"] in ("current_ratio", "quick_ratio"):
            t = financial["thresholds"].get(r["ratio"])
            note = f"policy minimum {fmt_number(t['min'])}" if t else ""
            if r.get("note"):
                note = r["note"]
            facts.append({"label": r["label"], "text": fmt_ratio(r.get(year), r["unit"]), "light": r["light"],
                          "note": note})
    lines = {row["line"]: row for row in financial["statement_summary"]}
    for line in ("Revenue", "Equity"):
        if line in lines:
            facts.append({"label": line, "text": fmt_money(lines[line].get(year)), "light": None,
                          "note": f"{financial['currency']} thousand"})
    return facts


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
    from weasyprint import HTML

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
    charts = _chart_uris(model_dir)
    context = {"pack": results["model_validation"], "charts": charts,
               "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    html = render_html(context, template="model_validation.html.j2", templates=templates)
    target = Path(target) if target else model_dir.parent / "model_validation.pdf"
    return render_pdf(html, target, base_url=templates)
