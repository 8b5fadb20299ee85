"""riskbook helpers: everything the notebooks, the batch runner and the reports use.

The short public API::

    from helpers import load_portfolio, compute_ratios, save_result, render_report, run_batch
"""
from .config import Policy, load_policy
from .exceptions import InputError, NotebookError, PolicyError, Problem, RenderError, RiskbookError, ValidationError
from .inputs import CustomerData, Portfolio, customer_profile, load_portfolio
from .results import customer_output_dir, load_results, save_chart, save_result
from .financial import analyse_portfolio, financial_section, ratio_frame
from .statements import CATALOGUE, altman_z, compute_ratios, ratio_table, statement_summary, statement_table

__all__ = ["Policy", "load_policy", "RiskbookError", "InputError", "PolicyError", "ValidationError", "Problem",
           "NotebookError", "RenderError", "CustomerData", "Portfolio", "customer_profile", "load_portfolio",
           "customer_output_dir", "load_results", "ratio_frame", "save_chart", "save_result", "CATALOGUE", "compute_ratios", "altman_z", "analyse_portfolio",
           "financial_section", "ratio_table", "statement_summary", "statement_table", "render_report", "run_batch"]


def __getattr__(name):  # heavy modules (WeasyPrint, Papermill) load only when asked for
    if name == "render_report":
        from .reporting import render_report
        return render_report
    if name == "run_batch":
        from .runner import run_batch
        return run_batch
    raise AttributeError(name)
