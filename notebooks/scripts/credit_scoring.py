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
# # Credit scoring
#
# The customer's score, PD and grade from the statistical scorecard, the points per characteristic and the reasons that cost the most points; the qualitative assessment and the expert scorecard of the policy; and a comparison with the Altman zone and the third-party rating. An analyst may override the grade with a reason and a name: the override is recorded and shown, never hidden.

# %% tags=["parameters"]
customer_id = "CASE1"  # a customers.customer_id
data = None  # folder of CSV files, xlsx workbook or SQL URL; None for the bundled sample
output_dir = None  # folder for results; None for the default under reports/
as_of = "2026-09-30"  # analysis date; the sample's reporting date (None for today)
model = None  # scorecard artifact; None for reports/model/scorecard.json
override_grade = None  # e.g. "5" to override the model grade
override_reason = None  # why (required with an override)
override_by = None  # who (required with an override)
assessment_answers = None  # answers to the policy's assessment questions, e.g. {"internal_controls": "weak"}
assessment_by = None  # who answered (required with answers)
assessment_evidence = None  # what each answer rests on, e.g. {"internal_controls": "books kept by an agent"}
lang = "en"  # language of the tables, charts and PDF: "en" or "zh"

# %%
import pandas as pd
from IPython.display import display

from helpers import (charts, credit_section, credit_text, customer_output_dir, load_portfolio, load_scorecard,
                     model_path, save_result, show_chart)

# %% [markdown]
# Load the data and the model artifact (it refuses an artifact whose checksum does not match).

# %%
portfolio = load_portfolio(data, as_of=as_of)
out = customer_output_dir(output_dir, customer_id)
scorecard = load_scorecard(model_path(model))
section = credit_section(portfolio, customer_id, scorecard, override_grade=override_grade,
                         override_reason=override_reason, override_by=override_by,
                         assessment_answers=assessment_answers, assessment_by=assessment_by,
                         assessment_evidence=assessment_evidence)
words = credit_text(section, lang)  # the section in words, in the report's language

# %% [markdown]
# Points per characteristic of the statistical scorecard.

# %%
pd.DataFrame(words["statistical"]["points"]).set_index("label")

# %% [markdown]
# The headline: score, PD and grade, and the reasons that cost the most points.

# %%
# NBVAL_CHECK_OUTPUT
s = section["statistical"]
print(f"{customer_id}: score {s['score']:.0f}, PD {s['pd']:.2%}, grade {s['grade']}; "
      f"expert grade {section['expert']['grade']}")
for reason in words["reason_texts"]:
    print(" -", reason)

# %% [markdown]
# The qualitative assessment: the policy's questions with the answers scored, their evidence and points. A customer without a current assessment can be answered above (`assessment_answers`, `assessment_by`); unanswered questions get the policy's neutral treatment. Answers given here are recorded in this run's results and report; to keep them for the nightly batch, add them to the `assessments` table.

# %%
print(words["assessment"]["status_text"])
pd.DataFrame(words["assessment"]["questions"]).set_index("text")[["answer_label", "points", "evidence"]]

# %% [markdown]
# The expert scorecard of the policy.

# %%
pd.DataFrame(words["expert"]["points"]).set_index("label")

# %% [markdown]
# Statistical and expert grade, third-party rating and Altman zone side by side; disagreements and any override.

# %%
display(pd.DataFrame(words["comparison"]))
words["disagreements"], section["override"]

# %% [markdown]
# Save the chart and the results for the report.

# %%
figure = charts.points_chart(section, lang)
display(show_chart(out, "score_points", figure))
save_result(out, "credit_scoring", section)
