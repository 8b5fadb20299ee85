"""Context building: everything a report shows, gathered from a customer's ``results/*.json`` and
``summary.json`` (the template gets data, not logic)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..data.store import load_results, read_json
from ..exceptions import RenderError
from .formatting import fmt_money, fmt_number, fmt_ratio

__all__ = ["merge_summaries", "build_context", "chart_uris"]


def chart_uris(folder: Path) -> dict[str, str]:
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
    charts = chart_uris(customer_dir)
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
