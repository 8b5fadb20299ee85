# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (riskbook)
#     language: python
#     name: riskbook
# ---

# %% [markdown]
# # Scenario cases and decisions
#
# Stress the customer's latest statements under the policy's scenarios (and any ad-hoc ones below), re-score, and turn the analysis into decisions: the credit limit with its calculation log, the payment terms chosen among the policy's options by risk-adjusted value, credit insurance, the contract clauses and the review date.

# %% tags=["parameters"]
customer_id = "CASE1"  # a customers.customer_id
data = None  # folder of CSV files, xlsx workbook or SQL URL; None for the bundled sample
output_dir = None  # folder for results; None for the default under reports/
as_of = "2026-09-30"  # analysis date; the sample's reporting date (None for today)
model = None  # scorecard artifact; None for reports/model/scorecard.json
scenarios = None  # ad-hoc scenarios, e.g. {"export_slump": {"revenue": -0.25, "fx": -0.2}}
lang = "en"  # language of the tables, charts and PDF: "en" or "zh"

# %%
import pandas as pd
from IPython.display import display

from helpers import (charts, customer_output_dir, decision_section, decision_text, final_credit, load_portfolio,
                     load_results, load_scorecard, model_path, policy_scenarios, run_scenarios, show_chart,
                     save_result)

# %% [markdown]
# Load the data, the model and the customer's grade (with any override the scoring notebook recorded).

# %%
portfolio = load_portfolio(data, as_of=as_of)
out = customer_output_dir(output_dir, customer_id)
scorecard = load_scorecard(model_path(model))
saved = load_results(out).get("credit_scoring")
credit = final_credit(portfolio, customer_id, scorecard, saved)

# %% [markdown]
# The stress table: ratios, score, PD and grade under each scenario.

# %%
table = run_scenarios(portfolio, customer_id, scorecard, policy_scenarios(portfolio.policy, scenarios), credit)
table.set_index("scenario")

# %% [markdown]
# The credit limit and how it was calculated.

# %%
section = decision_section(portfolio, customer_id, scorecard, credit, table)
words = decision_text(section, lang)  # the section in words, in the report's language
pd.DataFrame(words["limit"]["log"])[["label", "formula", "value"]]

# %% [markdown]
# Every payment-terms option: exposure, expected loss under each scenario, costs, margin and value; why the others lost.

# %%
pd.DataFrame(words["options"]).set_index("label").drop(columns=["option"])

# %%
# NBVAL_CHECK_OUTPUT
t, ins = words["terms"], section["insurance"]
print(f"{customer_id}: grade {section['grade']}, limit {section['limit']['recommended']:,.0f} "
      f"{section['currency']}, terms: {t['label']}, insurance: {ins['kind'] or 'none'}, "
      f"review {section['review_date']:%Y-%m-%d}")

# %% [markdown]
# The contract clauses this customer's contract needs.

# %%
pd.DataFrame(words["clauses"]).query("required")[["title", "text"]]

# %% [markdown]
# Save the chart and the results for the report.

# %%
figure = charts.scenario_chart(section, lang)
display(show_chart(out, "scenarios", figure))
save_result(out, "scenario_cases", section)
