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
# # Financial-statement analysis
#
# The customer's creditworthiness from its statements: the statements and their common-size view, the ratio catalogue with the policy's traffic lights and industry peers, trends, Altman's distress score, the FAQ's liquidity and market risk, and the findings. Set `customer_id` below and run all cells; the results are saved for the PDF report.

# %% tags=["parameters"]
customer_id = "CASE1"  # a customers.customer_id
data = None  # folder of CSV files, xlsx workbook or SQL URL; None for the bundled sample
output_dir = None  # folder for results; None for reports/<customer_id>
as_of = "2026-09-30"  # analysis date; the sample's reporting date (None for today)
lang = "en"  # language of the tables, charts and PDF: "en" or "zh"

# %%
from collections import Counter

import pandas as pd
from IPython.display import display

from helpers import (charts, customer_output_dir, customer_profile, financial_section, financial_text,
                     load_portfolio, profile_text, ratio_frame, save_result, show_chart)
pd.set_option("display.float_format", "{:,.2f}".format)

# %% [markdown]
# Load and validate the data once; the customer's profile. The portfolio-wide work (ratios, peers, distress scores of every customer) is computed once and reused.

# %%
portfolio = load_portfolio(data, as_of=as_of)
out = customer_output_dir(output_dir, customer_id)
profile = customer_profile(portfolio, customer_id)
section = financial_section(portfolio, customer_id)
words = financial_text(section, lang)  # the section in words, in the report's language
pd.Series(profile_text(profile, lang)["customer"]).to_frame("value")

# %% [markdown]
# Data warnings kept for the report (unaudited years, gaps, a single year, …).

# %%
pd.DataFrame(profile_text(profile, lang)["warnings"], columns=["source", "row", "column", "value", "message"])

# %% [markdown]
# The statements in thousands of the customer's currency, with the common-size view (income-statement and cash-flow lines as a share of revenue, balance-sheet lines as a share of total assets).

# %%
statements = pd.DataFrame(words["statements"]).set_index(["statement", "line"])
statements.drop(columns=["subtotal", "statement_key", "line_key"])

# %% [markdown]
# The ratio catalogue by year, with the change on the prior year, the policy's traffic light for the latest year and the customer's percentile among its industry peers.

# %%
ratio_frame(section, lang)

# %% [markdown]
# The headline: short-term solvency, the distress zone and the number of findings by severity.

# %%
# NBVAL_CHECK_OUTPUT
latest, z = section["summary"]["ratios"], section["summary"]["z_score"]
print(f"{customer_id} {section['latest_year']}: current ratio {latest['current_ratio']:.2f}, "
      f"quick ratio {latest['quick_ratio']:.2f}, Altman {z['model']} {z['value']:.2f} ({z['zone']})")
print(dict(Counter(f["severity"] for f in section["findings"])))

# %% [markdown]
# Trends: revenue, liquidity and leverage against the policy limits, margins, profit and cash.

# %%
for name, figure in charts.financial_charts(section, lang).items():
    display(show_chart(out, name, figure))

# %% [markdown]
# Altman's distress score by year; the model follows the industry (Z' for manufacturers, Z'' otherwise).

# %%
pd.DataFrame(words["altman"]["by_year"]).set_index("fiscal_year")[["label", "x", "value", "zone_label"]]

# %% [markdown]
# The FAQ's other risk dimensions, as far as the data carries them.

# %%
pd.DataFrame(words["risk_dimensions"])[["dimension", "label", "value", "unit"]]

# %% [markdown]
# Findings, most severe first.

# %%
pd.DataFrame(words["findings"])[["severity_label", "area", "text"]]

# %% [markdown]
# Save the results for the report.

# %%
save_result(out, "profile", profile)
save_result(out, "financial_analysis", section)
print(f"saved to {out}")
