"""Layer 1, config: the project's paths and the credit policy model."""
from .paths import DATA_SAMPLE, NOTEBOOKS_DIR, PACKAGE_DIR, PROJECT_ROOT, REPORTS_DIR, SOURCE_CHECKOUT, TEMPLATES_DIR, \
    document_date, file_sha256, library_report, library_versions, riskbook_version, safe_name
from .policy import Clause, Policy, TermOption, Threshold, load_policy

__all__ = ["PACKAGE_DIR", "SOURCE_CHECKOUT", "PROJECT_ROOT", "DATA_SAMPLE", "NOTEBOOKS_DIR", "TEMPLATES_DIR", "REPORTS_DIR", "document_date", "file_sha256", "library_report", "riskbook_version",
           "library_versions", "safe_name", "Policy", "Clause", "TermOption", "Threshold", "load_policy"]
