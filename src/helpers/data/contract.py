"""The input contract: every table, column, type, unit and rule, declared once.

``helpers.inputs`` validates against these declarations and ``docs/data-contract.md``
documents them (a test keeps the two in step). Money columns carry the row's
``currency`` and, in ``financial_statements``, its ``unit``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Column", "Table", "TABLES", "UNIT_FACTORS", "STATEMENT_MONEY_COLUMNS", "RATIO_NAMES"]

#: Multipliers for the ``unit`` column of ``financial_statements``.
#: The ratio names of the catalogue (:data:`helpers.analysis.statements.CATALOGUE` computes them, in
#: this order): the vocabulary that ``industry_benchmarks.ratio`` and the policy's ``thresholds`` use.
#: The catalogue refuses to load when the two differ.
RATIO_NAMES: tuple[str, ...] = (
    "current_ratio", "quick_ratio", "cash_ratio", "working_capital", "dso", "dio", "dpo",
    "cash_conversion_cycle", "debt_to_equity", "liabilities_to_assets", "equity_ratio", "debt_to_ebitda",
    "interest_coverage", "ocf_to_current_liabilities", "dscr", "gross_margin", "ebit_margin", "net_margin",
    "roa", "roe", "equity_multiplier", "asset_turnover", "receivables_turnover", "revenue_growth",
    "equity_growth", "ocf_to_net_income", "free_cash_flow", "accruals_ratio", "cash_runway_months",
)
UNIT_FACTORS: dict[str, float] = {"units": 1.0, "thousands": 1_000.0, "millions": 1_000_000.0}


@dataclass(frozen=True)
class Column:
    """One column of a contract table.

    Parameters
    ----------
    name : str
        Column name, exactly as in the file or database table.
    kind : str
        ``"str"``, ``"int"``, ``"float"``, ``"money"`` (float in the row's currency and unit),
        ``"date"`` (ISO 8601, ``YYYY-MM-DD``) or ``"bool"`` (true/false, yes/no, 1/0).
    required : bool
        Whether the column must be present. Optional columns may be left out entirely.
    nullable : bool
        Whether an empty cell is allowed in a present column.
    min : float or None
        Smallest allowed value for numeric columns (inclusive).
    max : float or None
        Largest allowed value for numeric columns (inclusive).
    allowed : tuple of str or None
        Allowed values for text columns.
    description : str
        What the column means, its unit and rules, for the documentation.
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    description: str = ""


@dataclass(frozen=True)
class Table:
    """A contract table: its columns, key and whether it must be present."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = True
    has_customer: bool = True
    description: str = ""
    rules: tuple[str, ...] = field(default_factory=tuple)

    @property
    def names(self) -> list[str]:
        """Names of all declared columns, in contract order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """Return the declared column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _money(name: str, description: str, *, min: float | None = 0.0, required: bool = True,
           nullable: bool = False) -> Column:
    return Column(name, "money", required=required, nullable=nullable, min=min, description=description)


_CUSTOMERS = Table(
    "customers",
    key=("customer_id",),
    has_customer=True,
    description="One row per current customer.",
    columns=(
        Column("customer_id", "str", description="Unique customer id; letters, digits, '-', '_' and '.' (max 40)."),
        Column("name", "str", description="Registered name, in any script (Chinese names are fine)."),
        Column("name_en", "str", required=False, nullable=True, description="Name in Latin script, optional."),
        Column("industry", "str", description="Industry key; must be one of the policy's `industries`."),
        Column("country", "str", description="ISO 3166-1 alpha-2 country code, e.g. CN, DE, VN."),
        Column("currency", "str", description="ISO 4217 currency we invoice the customer in."),
        Column("founded", "date", required=False, nullable=True, description="Date the business was registered."),
        Column("relationship_since", "date", description="Date of our first sale to the customer."),
        Column("account_manager", "str", required=False, nullable=True, description="Our account manager."),
        Column("third_party_rating", "str", required=False, nullable=True,
               description="External credit rating (scale named in the policy's `rating_scale`), optional."),
        Column("rating_agency", "str", required=False, nullable=True, description="Who issued the rating."),
        _money("expected_monthly_purchases", "Expected purchases from us per month, in `currency`.",
               required=False, nullable=True),
        _money("requested_limit", "Credit limit the customer or sales asks for, in `currency`.",
               required=False, nullable=True),
        Column("employees", "int", required=False, nullable=True, min=0, description="Head count."),
        _money("insurer_limit", "Credit limit a credit insurer grants on this buyer, in `currency`, where known "
               "(0 when the insurer refuses cover); insured exposure above it is our own risk.",
               required=False, nullable=True),
        Column("export_share", "float", required=False, nullable=True, min=0.0, max=1.0,
               description="Share of the customer's sales that it exports (0–1), for market risk; optional."),
        Column("largest_buyer_share", "float", required=False, nullable=True, min=0.0, max=1.0,
               description="Share of the customer's sales to its largest buyer (0–1), for concentration risk; optional."),
    ),
)

_STATEMENT_MONEY = (
    ("revenue", 0.0, "Net sales for the period."),
    ("cost_of_sales", 0.0, "Cost of goods sold."),
    ("operating_expenses", 0.0, "Selling, general and administrative expenses incl. depreciation and amortization."),
    ("depreciation_amortization", 0.0, "Depreciation and amortization included in the expenses above."),
    ("ebit", None, "Operating profit = revenue − cost_of_sales − operating_expenses."),
    ("interest_expense", 0.0, "Interest and other finance costs."),
    ("income_tax", None, "Income tax expense (negative for a tax credit)."),
    ("net_income", None, "Net profit = ebit − interest_expense − income_tax + other_non_operating."),
    ("cash", 0.0, "Cash and cash equivalents."),
    ("receivables", 0.0, "Trade and other receivables."),
    ("inventory", 0.0, "Inventories."),
    ("other_current_assets", 0.0, "Other current assets."),
    ("current_assets", 0.0, "= cash + receivables + inventory + other_current_assets."),
    ("fixed_assets", 0.0, "All non-current assets (property, plant, equipment, intangibles, other)."),
    ("total_assets", None, "= current_assets + fixed_assets; must be positive."),
    ("payables", 0.0, "Trade payables."),
    ("short_term_debt", 0.0, "Bank loans and other borrowings due within a year."),
    ("other_current_liabilities", 0.0, "Other current liabilities."),
    ("current_liabilities", 0.0, "= payables + short_term_debt + other_current_liabilities."),
    ("long_term_debt", 0.0, "Borrowings due after a year."),
    ("total_liabilities", 0.0, "= current_liabilities + long_term_debt + other_noncurrent_liabilities."),
    ("paid_in_capital", None, "Share capital paid in."),
    ("retained_earnings", None, "Accumulated retained earnings (negative for accumulated losses)."),
    ("equity", None, "Total equity = total_assets − total_liabilities (negative when insolvent)."),
    ("operating_cash_flow", None, "Net cash from operating activities."),
    ("capital_expenditure", 0.0, "Purchases of fixed assets, as a positive amount."),
)

#: Money columns of ``financial_statements``, in contract order.
STATEMENT_MONEY_COLUMNS: tuple[str, ...] = tuple(n for n, _, _ in _STATEMENT_MONEY) + (
    "other_non_operating", "other_noncurrent_liabilities")

_STATEMENTS = Table(
    "financial_statements",
    key=("customer_id", "fiscal_year"),
    description="One row per customer and fiscal year: income statement, balance sheet, cash flow.",
    columns=(
        Column("customer_id", "str", description="A `customers.customer_id`."),
        Column("fiscal_year", "int", min=1900, max=2100, description="Fiscal year the period ends in."),
        Column("period_end", "date", description="Last day of the period; balance-sheet date."),
        Column("months", "int", min=1, max=12,
               description="Length of the period in months; flows of shorter periods are annualized."),
        Column("currency", "str", description="ISO 4217 currency of the figures."),
        Column("unit", "str", allowed=tuple(UNIT_FACTORS),
               description="Scale of the figures: `units`, `thousands` or `millions`."),
        Column("audited", "bool", description="Whether an auditor signed the statements."),
        *(_money(n, d, min=m) for n, m, d in _STATEMENT_MONEY),
        _money("other_non_operating", "Other non-operating income (+) or expense (−); default 0.",
               min=None, required=False, nullable=True),
        _money("other_noncurrent_liabilities", "Provisions and other non-current liabilities; default 0.",
               required=False, nullable=True),
    ),
    rules=(
        "total_assets must be positive; the balance sheet must balance: "
        "|total_assets − (total_liabilities + equity)| ≤ tolerance.",
        "Subtotals must equal their parts within the tolerance: current_assets, current_liabilities, "
        "total_assets, total_liabilities, ebit, net_income.",
        "depreciation_amortization ≤ operating_expenses.",
        "A customer whose years use different currencies needs an `fx_rates` row for each; "
        "a statement in another currency than the customer's also needs one.",
        "Warnings (kept and shown in the report): unaudited year, only one year, a gap between years, "
        "a partial year, latest period older than the policy's `stale_statement_months`.",
    ),
)

_BANK = Table(
    "bank_credit",
    key=("customer_id", "facility_id"),
    required=False,
    description="Loans and credit lines from the customer's bank credit report, one row per facility.",
    columns=(
        Column("customer_id", "str", description="A `customers.customer_id`."),
        Column("facility_id", "str", description="Facility reference, unique per customer."),
        Column("report_date", "date", description="Date of the credit report."),
        Column("lender", "str", description="Bank or lender."),
        Column("facility_type", "str",
               allowed=("term_loan", "credit_line", "overdraft", "trade_finance", "leasing", "guarantee"),
               description="Kind of facility."),
        Column("currency", "str", description="ISO 4217 currency of limit and outstanding."),
        _money("limit", "Granted amount or credit line."),
        _money("outstanding", "Amount drawn at the report date."),
        Column("overdue_days", "int", min=0, description="Days the facility is overdue at the report date (0 = current)."),
        Column("max_overdue_days_24m", "int", min=0, description="Worst overdue days in the last 24 months."),
        Column("past_defaults", "int", min=0, description="Defaults or restructurings on record for this facility."),
        Column("status", "str", allowed=("active", "closed", "defaulted"), description="Facility status."),
    ),
    rules=("outstanding above limit is a warning (overdrawn), not an error.",),
)

_INVOICES = Table(
    "invoices",
    key=("invoice_id",),
    required=False,
    description="Our receivables ledger: one row per invoice with its payment.",
    columns=(
        Column("invoice_id", "str", description="Unique invoice number."),
        Column("customer_id", "str", description="A `customers.customer_id`."),
        Column("invoice_date", "date", description="Date of the invoice."),
        Column("due_date", "date", description="Date payment is due; not before invoice_date."),
        Column("currency", "str", description="ISO 4217 currency of the invoice."),
        _money("amount", "Invoiced amount, positive (credit notes are not part of this table)."),
        _money("paid_amount", "Amount paid so far; 0 when unpaid, at most amount."),
        Column("paid_date", "date", required=True, nullable=True,
               description="Date of the (last) payment; empty while nothing is paid; not before invoice_date."),
    ),
)

_CONTACTS = Table(
    "contacts",
    key=("contact_id",),
    required=False,
    description="Contact log: visits, calls, complaints, disputes, feedback.",
    columns=(
        Column("contact_id", "str", description="Unique id of the entry."),
        Column("customer_id", "str", description="A `customers.customer_id`."),
        Column("date", "date", description="Date of the contact."),
        Column("kind", "str", allowed=("visit", "call", "email", "meeting", "complaint", "dispute", "feedback"),
               description="Kind of contact."),
        Column("account_manager", "str", required=False, nullable=True, description="Who made or took it."),
        Column("summary", "str", required=False, nullable=True, description="What was said or agreed."),
        Column("resolved", "bool", required=False, nullable=True,
               description="For complaints and disputes: whether resolved (required for those kinds)."),
        Column("resolved_date", "date", required=False, nullable=True,
               description="When it was resolved; not before `date`."),
    ),
)

_OUTCOMES = Table(
    "outcomes",
    key=("customer_id", "fiscal_year"),
    required=False,
    has_customer=False,
    description=("History of past customer-years for fitting models: the characteristics observed "
                 "at the start of the year and whether the customer defaulted within it. "
                 "Customers here need not be current customers."),
    columns=(
        Column("customer_id", "str", description="Customer id (past or current)."),
        Column("fiscal_year", "int", min=1900, max=2100, description="Observation year."),
        Column("industry", "str", description="Industry key of the policy."),
        Column("country", "str", description="ISO 3166-1 alpha-2 country code."),
        Column("current_ratio", "float", nullable=True, description="current_assets / current_liabilities."),
        Column("quick_ratio", "float", nullable=True, description="(current_assets − inventory) / current_liabilities."),
        Column("debt_to_equity", "float", nullable=True, description="(short_term_debt + long_term_debt) / equity."),
        Column("interest_coverage", "float", nullable=True, description="ebit / interest_expense."),
        Column("ebit_margin", "float", nullable=True, description="ebit / revenue."),
        Column("roa", "float", nullable=True, description="net_income / total_assets."),
        Column("revenue", "float", nullable=True, min=0, description="Revenue in the base currency."),
        Column("bank_overdue_days", "int", nullable=True, min=0, description="Worst overdue days on bank facilities."),
        Column("credit_line_utilization", "float", nullable=True, min=0,
               description="Bank credit lines drawn / granted."),
        Column("bank_past_defaults", "int", nullable=True, min=0, description="Defaults on record at banks."),
        Column("days_beyond_terms", "float", nullable=True,
               description="Amount-weighted mean days our invoices were paid after their due date (negative when "
                           "paid early), over the invoices due in the 12 months before the observation; an invoice "
                           "not fully paid counts its days past due."),
        Column("relationship_years", "float", nullable=True, min=0, description="Years since our first sale."),
        Column("third_party_rating", "str", required=False, nullable=True, description="External rating, if any."),
        Column("unresolved_disputes", "int", nullable=True, min=0, description="Open complaints and disputes."),
        Column("default", "int", min=0, max=1,
               description="1 when the customer defaulted (90+ days past due, insolvency or write-off) within the year."),
    ),
)

_FX = Table(
    "fx_rates",
    key=("currency",),
    required=False,
    has_customer=False,
    description="Exchange rates to the policy's `base_currency`; needed only where currencies mix.",
    columns=(
        Column("currency", "str", description="ISO 4217 code."),
        Column("rate_to_base", "float", min=0.0, description="Units of base currency per one unit of `currency`; > 0."),
        Column("as_of", "date", description="Date of the rate."),
    ),
)

_BENCHMARKS = Table(
    "industry_benchmarks",
    key=("industry", "ratio"),
    required=False,
    has_customer=False,
    description=("External industry quartiles of ratios (a statistics office, a credit bureau, a data vendor). "
                 "Where a row exists, it replaces the portfolio's own peer quartiles for that industry and ratio."),
    columns=(
        Column("industry", "str", description="Industry key of the policy."),
        Column("ratio", "str", description="A ratio name of the catalogue (docs: the report's ratio definitions)."),
        Column("q1", "float", description="Lower quartile, in the ratio's own unit (fractions for % ratios)."),
        Column("median", "float", description="Median."),
        Column("q3", "float", description="Upper quartile."),
        Column("source", "str", description="Who published it, printed beside the percentile."),
        Column("year", "int", required=False, nullable=True, min=1900, max=2100, description="Year of the data."),
    ),
    rules=("q1 ≤ median ≤ q3; industry must be in the policy; ratio must be in the catalogue.",),
)

_ASSESSMENTS = Table(
    "assessments",
    key=("customer_id", "assessment_date", "question"),
    required=False,
    description=("The analyst's qualitative assessment: one row per customer, assessment date and question of the "
                 "policy's `assessment.questions`, with the answer on the question's scale and the evidence for it. "
                 "The latest assessment on or before as_of is the one scored; a question without a row is unanswered."),
    columns=(
        Column("customer_id", "str", description="A `customers.customer_id`."),
        Column("assessment_date", "date", description="Date the analyst made the assessment; not after as_of."),
        Column("analyst", "str", description="Who made it (the same for every question of one assessment)."),
        Column("question", "str", description="A question name of the policy's `assessment.questions`."),
        Column("answer", "str", description="An answer code of the question's scale (policy `assessment.scales`)."),
        Column("evidence", "str", required=False, nullable=True,
               description="What the answer rests on: documents seen, people met, court records, the visit."),
    ),
    rules=("question must be one of the policy's questions and answer one of its scale's answers.",
           "assessment_date must not be after as_of; one analyst per customer and assessment date.",
           "Warnings: an answer without evidence; the customer's latest assessment older than the policy's "
           "`assessment.max_age_months` (then scored as missing, with the policy's neutral treatment)."),
)

#: All contract tables, by name, in documentation order.
TABLES: dict[str, Table] = {t.name: t for t in (_CUSTOMERS, _STATEMENTS, _BANK, _INVOICES, _CONTACTS, _ASSESSMENTS,
                                                _OUTCOMES, _FX, _BENCHMARKS)}
