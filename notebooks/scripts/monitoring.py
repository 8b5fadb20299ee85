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
# # Monitoring and relationship
#
# How the customer pays us, from our own receivables ledger: aging, DSO, days beyond terms, a payment index 0–100 after D&B's PAYDEX, exposure against the limit, large transactions; the early-warning signals of the policy, the review schedule, the contact log, and the expected credit loss of the open receivables (IFRS 9 simplified approach, the portfolio's provision matrix); and the four-risk profile of page one. Runs after the scenario notebook, whose limit, terms and review date it monitors.

# %% tags=["parameters"]
customer_id = "CASE1"  # a customers.customer_id
data = None  # folder of CSV files, xlsx workbook or SQL URL; None for the bundled sample
output_dir = None  # folder for results; None for the default under reports/
as_of = "2026-09-30"  # analysis date; the sample's reporting date (None for today)
previous = None  # summary.json of the previous run (grade downgrade, overdue review); None: none
order_log = None  # the batch's extract of the decision log (order holds, releases); None: no log
lang = "en"  # language of the tables, charts and PDF: "en" or "zh"

# %%
import pandas as pd
from IPython.display import display

from helpers import (charts, customer_output_dir, load_order_log, load_portfolio, load_previous, load_results,
                     monitoring_section, monitoring_text, risk_profile, risk_profile_text, show_chart,
                     save_result)

# %% [markdown]
# Load the data and the sections this one monitors (credit grade, limit, terms, insurance, review date).

# %%
portfolio = load_portfolio(data, as_of=as_of)
out = customer_output_dir(output_dir, customer_id)
saved = load_results(out)
section = monitoring_section(portfolio, customer_id, saved["credit_scoring"], saved["scenario_cases"],
                             previous=load_previous(previous), order_log=load_order_log(order_log))
words = monitoring_text(section, lang)  # the section in words, in the report's language

# %% [markdown]
# Receivables by aging bucket, and how the customer paid: DSO, days beyond terms, the payment index.

# %%
display(pd.DataFrame(words["aging"]).set_index("label"))
pd.DataFrame(words["payments"]).set_index("label")

# %% [markdown]
# The headline: exposure against the limit, the payment index and the early-warning signals.

# %%
# NBVAL_CHECK_OUTPUT
e, p = section["exposure"], section["payment_index"]
print(f"{customer_id}: exposure {e['exposure']:,.0f} {section['currency']} of limit {e['limit']:,.0f}, "
      f"payment index {p['value']:.0f}, ECL {section['ecl']['weighted']:,.0f}")
print("signals:", ", ".join(f"{w['rule']} ({w['severity']})" for w in section["warnings"]) or "none")

# %% [markdown]
# Early-warning signals with the numbers that fired them and what to do; the review schedule.

# %%
display(pd.DataFrame(words["warnings"], columns=["severity_label", "text", "action"]))
words["review"]

# %% [markdown]
# Large transactions of the last months.

# %%
pd.DataFrame(words["large_transactions"])

# %% [markdown]
# The relationship: visits and calls against the policy's minimum, complaints and disputes, feedback.

# %%
display(pd.DataFrame(words["contact_facts"]).set_index("label"))
pd.DataFrame(words["issues"])

# %% [markdown]
# Expected credit loss of the open receivables: the provision matrix of the customer's group, and the ECL under each scenario.

# %%
display(pd.DataFrame(words["ecl"]["matrix"]).set_index("label"))
pd.DataFrame(words["ecl"]["scenario_rows"]).set_index("label")

# %% [markdown]
# Save the chart and the results for the report.

# %%
figure = charts.receivables_chart(section, lang)
display(show_chart(out, "receivables", figure))
save_result(out, "monitoring", section)

# %% [markdown]
# The four-risk profile of page one: credit, liquidity, market and operational risk, each low, medium or high as the worst of its drivers (the policy's `risk_profile` thresholds), from the sections above and the qualitative assessment.

# %%
# NBVAL_CHECK_OUTPUT
profile = risk_profile(portfolio, customer_id, saved["credit_scoring"], section)
save_result(out, "risk_profile", profile)
for r in profile["risks"]:
    print(f"{r['risk']}: {r['level']} ({', '.join(d['code'] for d in r['shown'])})")

# %%
pd.DataFrame(risk_profile_text(profile, lang)["rows"])
