"""Layer 6, report: formatting per locale, the message catalogue, context building, charts and rendering."""
from . import charts
from .context import build_context, merge_summaries
from .render import render_html, render_pdf, render_report, render_validation

__all__ = ["charts", "build_context", "merge_summaries", "render_html", "render_pdf", "render_report",
           "render_validation"]
