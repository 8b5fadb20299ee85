"""Render docs/data-contract.md from helpers.contract (the single source of the contract).

Run ``python scripts/contract_doc.py`` after changing the contract; a test fails when the
committed document differs from what this script renders.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from helpers.data.contract import TABLES, UNIT_FACTORS  # noqa: E402

HEADER = """# The input contract

riskbook reads one set of tables, the same from every source:

- a **folder of CSV files** named `<table>.csv` (UTF-8 and comma-separated unless the policy's `input` section
  declares otherwise, header row), with `policy.yaml` beside them — the bundled sample in `data/sample/` is one;
- one **Excel workbook** (`.xlsx`) with one sheet per table (sheet name = table name), `policy.yaml` in the same folder;
- an **SQL database** through an SQLAlchemy URL (`sqlite:///portfolio.db`, `postgresql://user:pw@host/db`), one
  database table per contract table (in the connection's default schema, or the one given as `schema`); pass the
  policy with `--policy`. Table names are quoted by the database's own dialect; a password never appears in a message.

Check a source without running anything: `riskbook validate --data PATH_OR_URL [--warnings]`.

## Conventions
- Dates are ISO 8601 `YYYY-MM-DD`. Booleans are `true`/`false` (also `yes`/`no`, `1`/`0`). Empty cell = no value.
- Numbers use `.` as decimal point; `,` is accepted only as a thousands separator that groups thousands
  (`1,234,567.89`). A decimal comma (`1.234,56`, `1,5`) or a misplaced comma is an error, never guessed — unless the
  policy declares the marks (`input.decimal`, `input.thousands`, below): then those marks are read, with the same
  strictness. Numbers that a workbook or a database stores as numbers need no marks.
- **Money** columns are in the row's `currency`; in `financial_statements` also in the row's `unit`
  ({units}). Statements are normalized to whole units of the customer's currency before any ratio is computed;
  a statement in another currency than the customer's is converted through `fx_rates`.
- Customer ids may use letters, digits, `-`, `_` and `.` (at most 40 characters, starting with a letter or digit).
- Column names are exact; an unknown column is an error (it is usually a typo), and a missing required column too.
  A column named twice in the header row is an error naming both positions (`column 'revenue' appears more than
  once (columns 5 and 9)`), and so are values under a column without a name.

## Reading files
- **Encoding.** A CSV file in UTF-8, with or without a byte-order mark, is read as such. Another encoding (a file
  saved by Excel on Chinese Windows is GBK/GB18030) is read only when it is detected without doubt, and then a
  warning names the encoding; when the bytes could be more than one encoding, or when a UTF-8 file has a damaged
  line, reading stops with an error naming the file and the line. Declare the encoding to read such a file:
  `input: {{encoding: gb18030}}`.
- **Separator.** A file whose header names the columns separated by `;` (or a tab) while the policy declares `,`
  (the default) is an error saying so; declare `input: {{delimiter: ";"}}` to read it.
- **Blank rows** — empty lines, lines of empty cells, blank sheet rows — are skipped, in CSV files and workbooks alike.
- **Row numbers** in messages are where a user finds the record: the CSV line on which the record starts (a quoted
  cell may span several lines), the sheet row in a workbook, the 1-based position in a database table.
- A CSV row with more cells than the header (a value holding the separator, not quoted) is an error and is not read;
  a quote that is never closed stops reading with the line where it opened.
- Control characters, line breaks and bidirectional marks inside values are shown escaped in messages (`\\x00`,
  `\\n`, `\\u202e`), so that a message shows what a cell really holds.

## Validation
Validation runs once, when the data is loaded, and reports **every** problem at once, each with the table, the
source file and row (CSV: the line number, header = line 1; Excel: the sheet row; SQL: the 1-based position), the
column, the customer, the value and what was expected, e.g.

    error: financial_statements.csv row 14 (customer C017): total_assets = 1,350 ≠ total_liabilities + equity 1,200 (difference 150): balance sheet does not balance: total_assets ≠ total_liabilities + equity

Errors that all lie in particular customers' own rows set those customers aside (each a failed entry listing its
problems; the others run, exit code 1); any other error, or any error with `--strict`, stops the batch before anything
runs (exit code 2) and nothing is written. **Warnings** (unaudited statements,
fewer years than the policy asks for, a gap between years, a partial year, stale statements, an overdrawn bank
facility) do not stop anything: they are kept and printed in the customer's report. A CSV file read in another
encoding than UTF-8 is a warning of the source as a whole, listed by `riskbook validate --warnings`.

Checks on every table: required columns present, no unknown columns, each value of its type, required values
present, numbers within their range, text within its allowed values, unique keys, customer ids known in
`customers` (except `outcomes`, which holds past customers too), ISO currency codes.
"""

POLICY = """
## policy.yaml
The company's credit policy: every threshold the product applies. Validated by `helpers.config.Policy`;
unknown keys are errors. Fields so far:

| key | type | meaning |
|---|---|---|
| `policy_version` | text | Version printed in every report and manifest. |
| `company` | text | The selling company. |
| `base_currency` | ISO 4217 | Currency of `fx_rates` and of portfolio totals. |
| `home_country` | ISO 3166-1 alpha-2 | Customers elsewhere are *foreign*. |
| `days_in_year` | 360–366 | Day count for day-based ratios. |
| `validation.balance_tolerance_abs` | number ≥ 0 | Absolute tolerance of balance and subtotal checks, in the statement's unit. |
| `validation.balance_tolerance_rel` | 0–0.1 | Relative tolerance (share of total assets); the larger of the two applies. |
| `validation.stale_statement_months` | int | Warn when the latest statements end longer ago than this before `as_of`. |
| `validation.min_years` | int | Warn when a customer has fewer years of statements. |
| `input.encoding` | `auto` / codec name | Encoding of the CSV files: `auto` (default) reads UTF-8, with or without a byte-order mark, and any other encoding only when detected without doubt; or a Python codec name (`gb18030`, `cp1252`, `utf-16`) every file is read with. |
| `input.delimiter` | `,` / `;` / `"\\t"` | Field separator of the CSV files (default `,`). |
| `input.decimal` | `.` / `,` | Decimal mark of numbers written as text (default `.`). |
| `input.thousands` | `,` / `.` / `" "` / `"'"` / `""` | Thousands mark of numbers written as text (default `,`; `""`: none; a space also matches a no-break space); must differ from `input.decimal`, read only where it groups thousands: with decimal `,` and thousands `.`, `1.234,56` is 1234.56 and `1,5` is 1.5, while `1.5` stays an error. |
| `industries.<key>` | `{label, manufacturing, risk_class, outlook}` | Industries customers may name; `manufacturing` selects the Altman model, `risk_class` is low/medium/high (expert scorecard), `outlook` improving/stable/uncertain/deteriorating (the credit committee's view, a market-risk driver; optional). |
| `rating_scale` | list | External rating grades, best first. |
| `thresholds.<ratio>` | `{direction, min / max, warn}` | Traffic lights: `higher_is_better` is red below `min`, amber below `warn`; `lower_is_better` is red above `max`, amber above `warn`. |
| `ratios.balance_basis` | `year_end` / `average` | Balances of flow-over-balance ratios. |
| `peers.min_group` | int | Industries with fewer customers are compared with the whole portfolio. |
| `findings.*` | | Key ratios, trend years, export-share and buyer-concentration alert levels, number of strengths shown. |
| `scoring.*` | | Statistical scorecard (points scaling, central tendency, screening thresholds, the `selection` rule sign/p_value/aic/bic — which screened characteristics the Logit keeps: all with the right sign, backward elimination on `p_value`, on Akaike's or on Schwarz's criterion — candidates, categorical ones, labels), `master_scale` (grade, max_pd, name), `rating_pd` (external rating → PD), `disagreement_notches`, `out_of_time_years`, `validation_thresholds`, and the `expert` scorecard (characteristics with edges and points or categories, whose maximum points add up to `total`; score bands to grades). |
| `decisions.*` | | `lgd`, our `gross_margin`, `funding_rate`, `max_el_rate`, `acceptable_grade`, `insurer_max_pd`; `scenarios` (name, label, weight, shocks; weights add up to 1); `limit` rules; `grades` (longest credit period, least prepayment, review months, limit cap per grade); the payment-terms `options`; the contract `clauses` with their conditions. |
| `monitoring.*` | | `aging_buckets` (upper bounds of the past-due buckets), `dbt_windows` (months), `trend_months`, `payment_index_months` and `payment_index_min_experiences`; `large_transactions` (`amount` in the base currency, `limit_share`, `median_multiple`, `months`; an invoice above any is large); `warnings.<rule>` (`enabled`, `severity` high/medium/low and the rule's `months` / `days` / `threshold` / `high_threshold`; rules: dbt_worsening, utilization, large_over_headroom, grade_downgrade, bank_overdue, distress_zone, revenue_falling, negative_equity, dispute_open, no_visit, stale_statements, unaudited_statements, overdue_items, assessment_due); `contacts` (`min_visits`, `min_calls` and `visit_months` per grade); `severe_review_months` (a high signal brings the review this close); `bank_report_months`; `ecl` (`history_months`, `default_days`, `lgd` (the decisions' when absent), `min_observations`, `split` none/domestic, `scenario_multipliers` per decision scenario: the forward-looking adjustment of the default rates) for the IFRS 9 provision matrix. |
| `assessment.*` | | The qualitative assessment: `max_age_months` (older assessments are stale: shown, not scored); `missing_treatment` `reweight` (an unanswered question scores its weight × the share of the maximum the customer scored on everything else, so a missing answer neither helps nor hurts) or `midpoint` (`missing_share` × its weight); `group` (the expert scorecard's group label); `scales.<name>` (answers best first: `answer` code, `share` of the weight from 1 down, `label`); `questions` (`name`, `text`, `help`, `scale`, `weight` = points of the best answer in the expert scorecard, `risk` credit/liquidity/market/operational it speaks to). `scoring.expert.total` = Σ characteristics' maximum + Σ question weights. |
| `risk_profile.*` | | The four-risk profile on page one; a risk's level is the worst of its drivers'. A threshold `{medium, high}` is medium beyond `medium` and high beyond `high` (above when high > medium, below when high < medium). `answer_share` (assessment answers by share of their weight), `max_drivers` (printed per risk); `credit` (`grade` {medium, high}: grades weaker than these; `days_beyond_terms`, `payment_index`); `liquidity` (`cash_runway_months`, `quick_ratio`, `ocf_decline` (medium when operating cash flow fell by more than this share; negative: high), `bank_line_utilization`); `market` (`industry_outlook` level per outlook, `revenue_growth`, `largest_buyer_share`, `export_share`, `foreign_currency` level); `operational` (`complaints` in `complaint_months`, `open_disputes`, `unaudited` level, `no_assessment` level). |

The sample `data/sample/policy.yaml` comments every key.
"""

KIND = {"str": "text", "int": "integer", "float": "number", "money": "money", "date": "date", "bool": "boolean"}


def render() -> str:
    parts = [HEADER.format(units=", ".join(f"`{k}` = ×{v:,.0f}" for k, v in UNIT_FACTORS.items()))]
    for t in TABLES.values():
        need = "required" if t.required else "optional"
        parts.append(f"\n## `{t.name}` ({need})\n{t.description} Key: `{', '.join(t.key)}`.\n")
        parts.append("| column | type | required | empty allowed | range / values | meaning |")
        parts.append("|---|---|---|---|---|---|")
        for c in t.columns:
            rng = ""
            if c.allowed:
                rng = ", ".join(f"`{a}`" for a in c.allowed)
            elif c.min is not None or c.max is not None:
                lo = "" if c.min is None else f"≥ {c.min:g}"
                hi = "" if c.max is None else f"≤ {c.max:g}"
                rng = " and ".join(x for x in (lo, hi) if x)
            parts.append(f"| `{c.name}` | {KIND[c.kind]} | {'yes' if c.required else 'no'} | "
                         f"{'yes' if c.nullable else 'no'} | {rng} | {c.description} |")
        if t.rules:
            parts.append("\nRules:\n" + "\n".join(f"- {r}" for r in t.rules))
    parts.append(POLICY)
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    target = ROOT / "docs" / "data-contract.md"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
