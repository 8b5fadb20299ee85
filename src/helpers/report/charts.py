"""Charts: matplotlib figures with one look for the whole workbook, saved as SVG.

Functions return a :class:`matplotlib.figure.Figure`; :func:`helpers.results.save_chart`
writes it as vector SVG for the PDF report. Chart functions only draw what the analysis
computed; they compute nothing themselves. Every label is plain text (``text.parse_math`` off);
matplotlib's SVG writer escapes it, so no label becomes markup in the SVG.
"""
from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from .formatting import DEFAULT_LANGUAGE
from .localize import Text, bucket_label, text_for

__all__ = ["STYLE", "PALETTE", "line_chart", "bar_chart", "liquidity_chart", "statement_trend_chart",
           "financial_charts", "points_chart", "validation_charts", "scenario_chart",
           "receivables_chart"]

#: Colours of the workbook (also used by the print stylesheet).
PALETTE = ["#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0", "#2e75b6"]

STYLE = {
    "font.family": ["DejaVu Sans", "Noto Sans CJK SC", "sans-serif"],
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "legend.frameon": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "riskbook",
    # labels are text, never TeX: a scenario named "$\\frac{}$" (ad-hoc scenarios come from a notebook's
    # parameters) is drawn as it is written instead of failing the chart (matplotlib escapes it in the SVG)
    "text.parse_math": False,
}
_SMALL = (3.6, 2.4)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def line_chart(x, series: dict[str, list], *, title: str, ylabel: str = "",
               references: dict[str, float] | None = None, percent: bool = False, size=_SMALL):
    """Draw one line per series over ``x`` (e.g. fiscal years), with dashed reference lines.

    Parameters
    ----------
    x : sequence
        Positions on the horizontal axis, e.g. fiscal years.
    series : dict of str to sequence
        Label → values (None/NaN leave a gap).
    title, ylabel : str
    references : dict of str to float, optional
        Label → horizontal line, e.g. the policy's minimum current ratio; drawn in the colour of
        the series in the same position.
    percent : bool
        Values are fractions, shown as percent.
    """
    fmt = (lambda v: f"{v * 100:.1f}%") if percent else (lambda v: f"{v:.2f}")
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=size)
        labels = [str(v) for v in x]
        values_seen = []
        for i, (label, values) in enumerate(series.items()):
            vals = [np.nan if _missing(v) else float(v) for v in values]
            values_seen += [v for v in vals if v == v]
            colour = PALETTE[i % len(PALETTE)]
            ax.plot(labels, vals, marker="o", linewidth=1.6, markersize=3.5, label=label, color=colour)
            for xi, v in zip(labels, vals):
                if v == v:
                    ax.annotate(fmt(v), (xi, v), textcoords="offset points", xytext=(0, 4), ha="center",
                                fontsize=6.5, color=colour)
        for i, (label, y) in enumerate((references or {}).items()):
            colour = PALETTE[i % len(PALETTE)]
            ax.axhline(y, linestyle="--", linewidth=0.9, color=colour, alpha=0.8)
            ax.annotate(label, (1.0, y), xycoords=("axes fraction", "data"), ha="right", va="bottom",
                        fontsize=6, color=colour)
            values_seen.append(y)
        lo, hi = min(values_seen + [0.0]), max(values_seen + [0.0])
        pad = (hi - lo) * 0.2 or 1.0
        ax.set_ylim(lo - (pad if lo < 0 else 0), hi + pad)
        if percent:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.0f}%"))
        ax.axhline(0, color="#595959", linewidth=0.7)
        ax.set_title(title, loc="left")
        ax.set_ylabel(ylabel)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=min(3, max(1, len(series))), fontsize=7)
        fig.tight_layout()
    return fig


def bar_chart(x, series: dict[str, list], *, title: str, scale: float = 1.0, unit: str = "",
              size=_SMALL, ax=None, colours: list[str] | None = None):
    """Grouped bars per ``x`` (e.g. revenue by year), values divided by ``scale``, labelled on the bars.

    Draws into ``ax`` when given (for multi-panel figures), else into a new figure.
    """
    with plt.rc_context(STYLE):
        fig = None
        if ax is None:
            fig, ax = plt.subplots(figsize=size)
        labels = [str(v) for v in x]
        pos = np.arange(len(labels))
        width = 0.8 / max(1, len(series))
        colours = colours or PALETTE
        for i, (label, values) in enumerate(series.items()):
            vals = [np.nan if _missing(v) else v / scale for v in values]
            bars = ax.bar(pos + (i - (len(series) - 1) / 2) * width, vals, width, label=label,
                          color=colours[i % len(colours)])
            ax.bar_label(bars, labels=[f"{v:,.0f}" if v == v else "" for v in vals], fontsize=6, padding=2)
        ax.set_xticks(pos, labels)
        ax.axhline(0, color="#595959", linewidth=0.7)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.margins(y=0.2)
        ax.set_title(title, loc="left")
        ax.set_ylabel(unit)
        if len(series) > 1:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=len(series), fontsize=7)
        if fig is not None:
            fig.tight_layout()
    return fig if fig is not None else ax.figure


def _ratio_series(section: dict, names: tuple[str, ...], tx: Text) -> tuple[dict, dict]:
    rows = {r["ratio"]: r for r in section["ratios"]}
    years = section["years"]
    series = {tx.ratio_label(n): [rows[n].get(y) for y in years] for n in names if n in rows}
    refs = {}
    for n in names:
        t = section["thresholds"].get(n)
        if n in rows and t:
            higher = t["direction"] == "higher_is_better"
            refs[tx.t("chart.limit_min" if higher else "chart.limit_max", label=tx.ratio_label(n))] = \
                t["min"] if higher else t["max"]
    return series, refs


def liquidity_chart(section: dict, lang: str = DEFAULT_LANGUAGE):
    """Current and quick ratio by year against the policy limits (from a financial section)."""
    tx = text_for(lang)
    series, refs = _ratio_series(section, ("current_ratio", "quick_ratio"), tx)
    return line_chart(section["years"], series, title=tx.t("chart.liquidity"), ylabel=tx.t("chart.times"),
                      references=refs)


def leverage_chart(section: dict, lang: str = DEFAULT_LANGUAGE):
    """Debt to equity and debt to EBITDA by year against the policy limits."""
    tx = text_for(lang)
    series, refs = _ratio_series(section, ("debt_to_equity", "debt_to_ebitda"), tx)
    return line_chart(section["years"], series, title=tx.t("chart.leverage"), ylabel=tx.t("chart.times"),
                      references=refs)


def margins_chart(section: dict, lang: str = DEFAULT_LANGUAGE):
    """Gross, EBIT and net margin by year."""
    tx = text_for(lang)
    series, _ = _ratio_series(section, ("gross_margin", "ebit_margin", "net_margin"), tx)
    return line_chart(section["years"], series, title=tx.t("chart.margins"), percent=True)


def _lines(section: dict) -> dict:
    return {row["line_key"]: row for row in section["statements"]}


def cash_flow_chart(section: dict, lang: str = DEFAULT_LANGUAGE):
    """Net income, operating cash flow and free cash flow by year, in thousands."""
    tx = text_for(lang)
    years, lines = section["years"], _lines(section)
    series = {tx.t(f"statement.line.{k}"): [lines[k].get(y) for y in years]
              for k in ("net_income", "operating_cash_flow", "free_cash_flow")}
    return bar_chart(years, series, title=tx.t("chart.profit_and_cash"),
                     unit=tx.t("unit.currency_thousand", currency=tx.f.currency_name(section["currency"])))


def statement_trend_chart(section: dict, lang: str = DEFAULT_LANGUAGE):
    """Revenue by year, in thousands."""
    tx = text_for(lang)
    years, lines = section["years"], _lines(section)
    label = tx.t("statement.line.revenue")
    return bar_chart(years, {label: [lines["revenue"].get(y) for y in years]}, title=label,
                     unit=tx.t("unit.currency_thousand", currency=tx.f.currency_name(section["currency"])))


def financial_charts(section: dict, lang: str = DEFAULT_LANGUAGE) -> dict:
    """All charts of the financial section, by the name they are saved under."""
    return {"revenue": statement_trend_chart(section, lang), "liquidity": liquidity_chart(section, lang),
            "leverage": leverage_chart(section, lang), "margins": margins_chart(section, lang),
            "cash_flow": cash_flow_chart(section, lang)}


def points_chart(section: dict, lang: str = DEFAULT_LANGUAGE):
    """Points of each scorecard characteristic against its best bin (from a credit section)."""
    tx = text_for(lang)
    items = section["statistical"]["points"]
    labels = [tx.local(it["label"]) for it in items][::-1]
    got = [it["points"] for it in items][::-1]
    best = [it["max_points"] for it in items][::-1]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.4, 0.32 * len(items) + 0.9))
        y = np.arange(len(items))
        ax.barh(y, best, color="#d9e2f3", label=tx.t("chart.best_bin"))
        ax.barh(y, got, height=0.5, color=PALETTE[0], label=tx.t("chart.this_customer"))
        for yi, g in zip(y, got):
            ax.annotate(f"{g:.0f}", (g, yi), xytext=(3, 0), textcoords="offset points", va="center", fontsize=6.5)
        ax.set_yticks(y, labels)
        ax.set_xlabel(tx.t("chart.points"))
        ax.set_title(tx.t("chart.points_title", score=tx.f.number(section["statistical"]["score"], 0)), loc="left")
        ax.legend(loc="lower right", fontsize=7)
        ax.grid(axis="y", visible=False)
        fig.tight_layout()
    return fig


def validation_charts(pack: dict, lang: str = DEFAULT_LANGUAGE) -> dict:
    """ROC and CAP curves of the test sample, calibration by grade and the score distributions."""
    tx = text_for(lang)
    t = tx.t
    out = {}
    with plt.rc_context(STYLE):
        fig, (a, b) = plt.subplots(1, 2, figsize=(6.6, 2.8))
        roc, cap = pack["curves"]["roc"], pack["curves"]["cap"]
        auc = pack["discrimination"]["test"]["auc"]["value"]
        a.plot(roc["fpr"], roc["tpr"], color=PALETTE[0], linewidth=1.6, label=t("chart.model_auc", auc=tx.f.number(auc, 3)))
        a.plot([0, 1], [0, 1], linestyle="--", color="#7f7f7f", linewidth=0.9, label=t("chart.random"))
        a.set_title(t("chart.roc_title"), loc="left")
        a.set_xlabel(t("chart.fpr"))
        a.set_ylabel(t("chart.tpr"))
        a.legend(loc="lower right", fontsize=7)
        dr = pack["curves"]["test_default_rate"]
        b.plot(cap["population_share"], cap["bad_share"], color=PALETTE[1], linewidth=1.6, label=t("chart.model"))
        b.plot([0, dr, 1], [0, 1, 1], color=PALETTE[2], linewidth=0.9, label=t("chart.perfect"))
        b.plot([0, 1], [0, 1], linestyle="--", color="#7f7f7f", linewidth=0.9, label=t("chart.random"))
        b.set_title(t("chart.cap_title"), loc="left")
        b.set_xlabel(t("chart.riskiest_first"))
        b.set_ylabel(t("chart.share_of_defaults"))
        b.legend(loc="lower right", fontsize=7)
        fig.tight_layout()
        out["roc_cap"] = fig
        rows = [r for r in pack["calibration"]["by_grade"] if r["grade"] != "all"]
        fig, ax = plt.subplots(figsize=(6.6, 2.6))
        x = np.arange(len(rows))
        ax.bar(x - 0.2, [r["mean_pd"] * 100 for r in rows], 0.4, color=PALETTE[0], label=t("chart.mean_pd"))
        ax.bar(x + 0.2, [r["observed_dr"] * 100 for r in rows], 0.4, color=PALETTE[1], label=t("chart.observed_dr"))
        ax.set_xticks(x, [f"{r['grade']}\n(n={r['n']})" for r in rows])
        ax.set_ylabel("%")
        ax.set_title(t("chart.calibration_title"), loc="left")
        ax.legend(loc="upper left", fontsize=7)
        fig.tight_layout()
        out["calibration"] = fig
        fig, ax = plt.subplots(figsize=(6.6, 2.4))
        table = pack["stability"]["psi_table"]
        x = np.arange(len(table))
        ax.bar(x - 0.2, [r["expected_share"] * 100 for r in table], 0.4, color=PALETTE[0], label=t("chart.development"))
        ax.bar(x + 0.2, [r["actual_share"] * 100 for r in table], 0.4, color=PALETTE[2], label=t("chart.current_portfolio"))
        ax.set_xticks(x, [str(r["bin"]) for r in table], rotation=30, ha="right", fontsize=6)
        ax.set_ylabel(t("chart.pct_of_customers"))
        ax.set_title(t("chart.score_distribution", psi=tx.f.number(pack["stability"]["psi"]["value"], 3)), loc="left")
        ax.legend(loc="upper left", fontsize=7)
        fig.tight_layout()
        out["score_distribution"] = fig
    return out


def scenario_chart(section: dict, lang: str = DEFAULT_LANGUAGE):
    """PD by scenario against the master-scale bound of the policy's acceptable grade."""
    tx = text_for(lang)
    rows = section["scenarios"]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.0, 2.3))
        x = np.arange(len(rows))
        bars = ax.bar(x, [r["pd"] * 100 for r in rows], 0.55, color=PALETTE[0])
        ax.bar_label(bars, labels=[tx.t("chart.pd_grade", pd=tx.f.percent(r["pd"], 1), grade=r["grade"]) for r in rows],
                     fontsize=7, padding=2)
        ax.set_xticks(x, [tx.scenario_label(r) for r in rows])
        bound = section.get("acceptable_pd")
        if bound is not None:
            ax.axhline(bound * 100, linestyle="--", color=PALETTE[1], linewidth=1)
            ax.annotate(tx.t("chart.acceptable_up_to", grade=section["acceptable_grade"], pd=tx.f.percent(bound, 0)),
                        (1.0, bound * 100), xycoords=("axes fraction", "data"), ha="right", va="bottom", fontsize=6.5,
                        color=PALETTE[1])
        ax.set_ylabel(tx.t("chart.pd_pct"))
        ax.margins(y=0.25)
        ax.set_title(tx.t("chart.pd_by_scenario"), loc="left")
        fig.tight_layout()
    return fig


def receivables_chart(section: dict, lang: str = DEFAULT_LANGUAGE):
    """The ledger month by month: open receivables by aging bucket (stacked, thousands of the customer's
    currency) and the 3-month days beyond terms (line, right axis)."""
    tx = text_for(lang)
    trend = section["trend"]
    buckets = section["buckets"]
    colours = ["#bdd7ee", "#f4b183", "#e46c0a", "#c00000", "#7f0000"]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.6, 2.5))
        x = np.arange(len(trend))
        bottom = np.zeros(len(trend))
        for i, b in enumerate(buckets):
            vals = np.array([(r.get(b) or 0.0) / 1000.0 for r in trend])
            ax.bar(x, vals, 0.75, bottom=bottom, color=colours[min(i, len(colours) - 1)], label=bucket_label(b, tx))
            bottom += vals
        ax.set_ylabel(tx.t("chart.thousand_currency", currency=tx.f.currency_name(section["currency"])))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        labels = [str(r["date"])[:7] for r in trend]
        step = max(1, len(labels) // 8)
        ax.set_xticks(x[::step], labels[::step])
        ax2 = ax.twinx()
        dbt = [np.nan if _missing(r.get("dbt_3m")) else r["dbt_3m"] for r in trend]
        ax2.plot(x, dbt, color=PALETTE[0], marker="o", markersize=2.5, linewidth=1.4, label=tx.t("chart.dbt_3m"))
        ax2.axhline(0, color="#595959", linewidth=0.6, linestyle=":")
        ax2.set_ylabel(tx.t("chart.dbt_days"))
        ax2.grid(False)
        ax2.spines["right"].set_visible(True)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=len(l1 + l2), fontsize=6.5)
        ax.set_title(tx.t("chart.receivables_trend"), loc="left")
        fig.tight_layout()
    return fig
