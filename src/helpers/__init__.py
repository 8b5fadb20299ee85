"""riskbook helpers: everything the notebooks, the batch runner and the reports use.

The package is layered; each subpackage imports only from those before it (``tests/test_layers.py``
fails on an upward import or a cycle)::

    exceptions → config → data → analysis → scoring → decisions → report → pipeline → cli

The short public API the notebooks use::

    from helpers import load_portfolio, financial_section, credit_section, decision_section, save_result

The batch runner is ``helpers.pipeline.run_batch``; ``import helpers`` does not load it, so that a notebook
kernel does not import Papermill, nbformat and jsonschema (whose format checkers take seconds to import).
"""
from .config import Policy, load_policy
from .exceptions import InputError, NotebookError, PolicyError, Problem, RenderError, RiskbookError, ValidationError
from .data import (CustomerData, Portfolio, customer_output_dir, customer_profile, load_order_log, load_portfolio, load_previous, load_results,
                   model_output_dir, model_path, save_chart, save_result, show_chart)
from .analysis import (CATALOGUE, altman_z, analyse_portfolio, compute_ratios, financial_section, policy_scenarios,
                       ratio_table, statement_summary, statement_table)
from .scoring import credit_section, develop_scorecard, final_credit, load_scorecard, validation_pack
from .decisions import decision_section, monitoring_section, risk_profile, run_scenarios
from .report import (charts, credit_text, decision_text, risk_profile_text, financial_text, monitoring_text, profile_text, ratio_frame,
                     render_report,
                     render_validation, selection_log_text, validation_text)


def __getattr__(name: str):
    """``OrderDesk`` and ``check_order`` (layer 7) are loaded when first used, so that ``import helpers`` in a
    notebook kernel does not load the pipeline."""
    if name in ("OrderDesk", "check_order"):
        from .pipeline import order_desk

        return getattr(order_desk, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Policy", "load_policy", "RiskbookError", "InputError", "PolicyError", "ValidationError", "Problem",
           "NotebookError", "RenderError", "CustomerData", "Portfolio", "customer_profile", "load_portfolio",
           "customer_output_dir", "model_output_dir", "model_path", "load_results", "load_previous", "load_order_log", "save_chart", "show_chart", "save_result",
           "CATALOGUE", "compute_ratios", "altman_z", "analyse_portfolio", "financial_section", "ratio_frame",
           "ratio_table", "statement_summary", "statement_table", "policy_scenarios", "credit_section",
           "final_credit", "develop_scorecard", "load_scorecard", "validation_pack", "decision_section",
           "run_scenarios", "monitoring_section", "risk_profile", "charts", "credit_text", "decision_text", "monitoring_text", "risk_profile_text", "financial_text", "profile_text",
           "validation_text", "selection_log_text", "render_report", "render_validation", "OrderDesk", "check_order"]
