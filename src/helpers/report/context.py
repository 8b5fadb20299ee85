"""Context building: everything a report shows, gathered from a customer's ``results/*.json`` and
``summary.json`` and put into words in the report's language (the template gets data, not logic)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..config import document_date
from ..data.store import load_results, read_json
from ..exceptions import RenderError
from .formatting import DEFAULT_LANGUAGE, LANGUAGES, check_language, formatter
from .orders import order_log_section
from .localize import (Text, credit_text, decision_text, financial_text, monitoring_text, profile_text,
                       risk_profile_text, text_for)

__all__ = ["merge_summaries", "build_context", "chart_uris", "html_lang", "generated_at", "date_text"]


def chart_uris(folder: Path) -> dict[str, str]:
    """Chart name → file URI of every ``results/*.svg`` in a customer or model folder."""
    return {p.stem: p.resolve().as_uri() for p in sorted((folder / "results").glob("*.svg"))}


def html_lang(lang: str) -> str:
    """The HTML ``lang`` attribute of a report language (``en``, ``zh-CN``)."""
    return LANGUAGES[check_language(lang)].replace("_", "-")


def generated_at(as_of=None) -> dt.datetime:
    """A document's date: :func:`helpers.config.document_date` (``SOURCE_DATE_EPOCH``, else ``as_of``
    at 00:00 UTC, else now)."""
    return document_date(as_of)


def date_text(date: dt.datetime, lang: str) -> str:
    """How a report prints its date: the day in the language's format, and the time (UTC) unless it is
    midnight (a date taken from ``as_of``)."""
    text = formatter(lang).date(date.date())
    if date.hour or date.minute or date.second:
        return f"{text} {date:%H:%M} UTC"
    return text


def merge_summaries(results: dict) -> dict:
    """Merge the ``summary`` part of every section's results into one dict (for ``summary.json``).

    The profile comes first, so later sections (scoring, decisions) add to it.
    """
    summary = {}
    for name in sorted(results, key=lambda n: n != "profile"):
        summary.update(results[name].get("summary", {}))
    return summary


def build_context(customer_dir: str | Path, *, lang: str = DEFAULT_LANGUAGE, provenance: dict | None = None) -> dict:
    """Gather what the report shows for one customer, in ``lang``.

    Parameters
    ----------
    customer_dir : str or Path
        The customer's output folder (``results/`` inside, ``summary.json`` beside).
    lang : {"en", "zh"}
        The report's language.
    provenance : dict, optional
        Run facts from the runner (notebooks executed, code version, library versions, timings).

    Returns
    -------
    dict
        ``summary``, ``profile``, ``financial``, ``credit`` (with its ``assessment``), ``decision``,
        ``monitoring`` and ``risk_profile`` (each None when its notebook did not run), ``cover_facts``, ``charts`` ({name: file URI}), ``provenance``,
        ``generated`` and ``lang`` (the template's ``t()`` and ``html_lang`` come with the language's
        environment, :func:`helpers.report.render.environment`).
    """
    lang = check_language(lang)
    tx = text_for(lang)
    customer_dir = Path(customer_dir)
    results = load_results(customer_dir)
    if "profile" not in results:
        raise RenderError(f"{customer_dir}: results/profile.json is missing; run the notebooks first")
    summary_path = customer_dir / "summary.json"
    summary = read_json(summary_path) if summary_path.exists() else {**merge_summaries(results), "status": "draft"}
    financial = results.get("financial_analysis")
    financial = financial_text(financial, tx) if financial else None
    credit = results.get("credit_scoring")
    decision = results.get("scenario_cases")
    monitoring = results.get("monitoring")
    profile_of_risks = results.get("risk_profile")
    return {
        "summary": summary,
        "profile": profile_text(results["profile"], tx),
        "credit": credit_text(credit, tx) if credit else None,
        "decision": decision_text(decision, tx) if decision else None,
        "monitoring": monitoring_text(monitoring, tx) if monitoring else None,
        "orders": order_log_section(monitoring.get("orders"), tx) if monitoring else None,
        "risk_profile": risk_profile_text(profile_of_risks, tx) if profile_of_risks else None,
        "financial": financial,
        "cover_facts": _cover_facts(financial, tx),
        "charts": chart_uris(customer_dir),
        "provenance": provenance or {},
        "generated": date_text(generated_at(summary.get("as_of")), lang),
        "evidence": [],  # the attachments' rows, filled by helpers.report.render.render_report
        "lang": lang,  # the renderer's environment of this language brings t() and html_lang
    }


def _cover_facts(financial: dict | None, tx: Text) -> list[dict]:
    """Headline figures for page one: liquidity ratios with their lights, revenue and equity."""
    if not financial or not financial.get("years"):
        return []
    year = financial["latest_year"]
    facts = []
    for r in financial["ratios"]:
        if r["ratio"] in ("current_ratio", "quick_ratio"):
            t = financial["thresholds"].get(r["ratio"])
            note = tx.t("fact.policy_minimum", limit=tx.f.number(t["min"])) if t else ""
            if r.get("note"):
                note = r["note"]
            facts.append({"label": r["label"], "text": tx.f.ratio(r.get(year), r["unit"]), "light": r["light"],
                          "note": note})
    lines = {row["line_key"]: row for row in financial["statement_summary"]}
    for key in ("revenue", "equity"):
        if key in lines:
            facts.append({"label": tx.t(f"statement.line.{key}"), "text": tx.f.money(lines[key].get(year)),
                          "light": None, "note": tx.t("unit.currency_thousand",
                                                      currency=tx.f.currency_name(financial["currency"]))})
    return facts
