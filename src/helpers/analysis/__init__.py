"""Layer 3, analysis: statements and the ratio catalogue, peers, findings, the financial section,
the customers' scoring characteristics and stress scenarios."""
from .characteristics import customer_characteristics, portfolio_characteristics
from .financial import PortfolioAnalysis, analyse_portfolio, financial_section
from .scenarios import SHOCKS, Scenario, policy_scenarios, stress_statements
from .statements import CATALOGUE, altman_z, compute_ratios, ratio_table, statement_summary, statement_table

__all__ = ["customer_characteristics", "portfolio_characteristics", "PortfolioAnalysis", "analyse_portfolio",
           "financial_section", "SHOCKS", "Scenario", "policy_scenarios", "stress_statements",
           "CATALOGUE", "altman_z", "compute_ratios", "ratio_table", "statement_summary", "statement_table"]
