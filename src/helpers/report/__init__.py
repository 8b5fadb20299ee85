"""Layer 6, report: formatting per language, the message catalogue, words for the sections, context
building, charts and rendering."""
from . import charts
from .context import build_context, merge_summaries
from .formatting import DEFAULT_LANGUAGE, LANGUAGES, Formatter, check_language, formatter
from .localize import (assessment_text, credit_text, decision_text, financial_text, monitoring_text, profile_text,
                       ratio_frame, risk_profile_text, selection_log_text, text_for, validation_text)
from .messages import Messages, messages
from .pack import write_portfolio_pack
from .render import render_html, render_pdf, render_report, render_validation

__all__ = ["charts", "build_context", "merge_summaries", "DEFAULT_LANGUAGE", "LANGUAGES", "Formatter",
           "check_language", "formatter", "assessment_text", "risk_profile_text", "credit_text", "decision_text", "monitoring_text", "financial_text", "profile_text",
           "ratio_frame", "selection_log_text", "text_for", "validation_text", "Messages", "messages", "render_html", "render_pdf",
           "render_report", "render_validation", "write_portfolio_pack"]
