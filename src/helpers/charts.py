"""Charts: matplotlib figures with one look for the whole workbook, saved as SVG.

Functions return a :class:`matplotlib.figure.Figure`; :func:`helpers.results.save_chart`
writes it as vector SVG for the PDF report.
"""
from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

__all__ = ["STYLE", "line_chart", "bar_chart", "liquidity_chart", "statement_trend_chart"]

#: Colours of the workbook (also used by the print stylesheet).
PALETTE = ["#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0", "#2e75b6"]

STYLE = {
    "font.family": ["DejaVu Sans", "Noto Sans CJK SC", "sans-serif"],
    "font.size": 9,
    "axes.titlesize": 10,
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
}


def line_chart(x, series: dict[str, list], *, title: str, ylabel: str = "",
               references: dict[str, float] | None = None, size=(6.0, 2.5)):
    """Draw one line per series over ``x`` (e.g. fiscal years), with dashed reference lines.

    Parameters
    ----------
    x : sequence
        Positions on the horizontal axis, e.g. fiscal years.
    series : dict of str to sequence
        Label → values (None/NaN leave a gap).
    title, ylabel : str
    references : dict of str to float, optional
        Label → horizontal line, e.g. the policy's minimum current ratio.
    """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=size)
        labels = [str(v) for v in x]
        for i, (label, values) in enumerate(series.items()):
            vals = [float("nan") if v is None else v for v in values]
            ax.plot(labels, vals, marker="o", linewidth=1.8, label=label, color=PALETTE[i % len(PALETTE)])
            for xi, v in zip(labels, vals):
                if v == v:
                    ax.annotate(f"{v:.2f}", (xi, v), textcoords="offset points", xytext=(0, 5),
                                ha="center", fontsize=7.5, color=PALETTE[i % len(PALETTE)])
        for i, (label, y) in enumerate((references or {}).items()):  # same colour as its series
            ax.axhline(y, linestyle="--", linewidth=1, color=PALETTE[i % len(PALETTE)], alpha=0.8)
            ax.annotate(label, (1.0, y), xycoords=("axes fraction", "data"), ha="right", va="bottom",
                        fontsize=7, color=PALETTE[i % len(PALETTE)])
        ax.set_title(title, loc="left")
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0, top=max([1.0] + [v for vals in series.values() for v in vals if v is not None]
                                      + list((references or {}).values())) * 1.25)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=max(1, len(series)), fontsize=8)
        fig.tight_layout()
    return fig


def bar_chart(x, series: dict[str, list], *, title: str, scale: float = 1.0, unit: str = "",
              size=(6.0, 2.4), ax=None):
    """Grouped bars per ``x`` (e.g. revenue by year), values divided by ``scale``, labelled on the bars.

    Draws into ``ax`` when given (for multi-panel figures), else into a new figure.
    """
    import numpy as np

    with plt.rc_context(STYLE):
        fig = None
        if ax is None:
            fig, ax = plt.subplots(figsize=size)
        labels = [str(v) for v in x]
        pos = np.arange(len(labels))
        width = 0.8 / max(1, len(series))
        for i, (label, values) in enumerate(series.items()):
            vals = [np.nan if v is None else v / scale for v in values]
            bars = ax.bar(pos + (i - (len(series) - 1) / 2) * width, vals, width, label=label,
                          color=PALETTE[i % len(PALETTE)])
            ax.bar_label(bars, labels=[f"{v:,.0f}" if v == v else "" for v in vals], fontsize=7, padding=2)
        ax.set_xticks(pos, labels)
        ax.axhline(0, color="#595959", linewidth=0.8)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.margins(y=0.18)
        ax.set_title(title, loc="left")
        ax.set_ylabel(unit)
        if len(series) > 1:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=len(series), fontsize=8)
        if fig is not None:
            fig.tight_layout()
    return fig if fig is not None else ax.figure


def liquidity_chart(section: dict):
    """Current and quick ratio by year against the policy minimums (from a financial section)."""
    years = section["years"]
    rows = {r["ratio"]: r for r in section["ratios"]}
    series = {rows[n]["label"]: [rows[n].get(y) for y in years] for n in ("current_ratio", "quick_ratio") if n in rows}
    refs = {}
    for n in ("current_ratio", "quick_ratio"):
        t = section["thresholds"].get(n)
        if t and t.get("min") is not None:
            refs[f"{rows[n]['label']} minimum {t['min']:g}"] = t["min"]
    return line_chart(years, series, title="Liquidity: current and quick ratio", ylabel="times", references=refs)


def statement_trend_chart(section: dict):
    """Revenue (left) and EBIT and net income (right) by year, in thousands (from a financial section)."""
    years = section["years"]
    lines = {row["line"]: row for row in section["statement_summary"]}
    unit = f"{section['currency']} thousand"
    with plt.rc_context(STYLE):
        fig, (left, right) = plt.subplots(1, 2, figsize=(6.6, 2.5), gridspec_kw={"width_ratios": [1, 1.4]})
        bar_chart(years, {"Revenue": [lines["Revenue"].get(y) for y in years]}, title="Revenue",
                  scale=1_000.0, unit=unit, ax=left)
        bar_chart(years, {k: [lines[k].get(y) for y in years] for k in ("EBIT", "Net income")},
                  title="Profit", scale=1_000.0, unit=unit, ax=right)
        for ax, colour in ((left, PALETTE[0]),):
            for patch in ax.patches:
                patch.set_color(colour)
        fig.tight_layout()
    return fig
