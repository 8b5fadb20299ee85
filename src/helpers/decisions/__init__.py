"""Layer 5, decisions: stress re-scoring, credit limit, payment terms and credit insurance, contract
clauses and review date, the decision section that puts them together, monitoring and the four-risk profile."""
from .clauses import clause_checklist, review_date
from .limit import credit_limit
from .monitoring import customer_ecl, early_warnings, monitoring_section, review_schedule
from .risk_profile import risk_profile
from .section import decision_section
from .stress import run_scenarios
from .terms import evaluate_options, recommend

__all__ = ["clause_checklist", "review_date", "credit_limit", "decision_section", "run_scenarios",
           "evaluate_options", "recommend", "customer_ecl", "early_warnings",
           "monitoring_section", "review_schedule", "risk_profile"]
