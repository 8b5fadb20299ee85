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
# # Model development and validation
#
# Fits the statistical scorecard on the outcome history (optbinning's monotonic binning and weight of evidence, screening by information value, correlation and VIF, a statsmodels Logit keeping the characteristics the policy's `scoring.selection` rule keeps, calibration to the central tendency, scaling to points, the master scale), validates it on the held-out last years and checks its stability on the current customers. Writes the JSON model artifact and the validation PDF for auditors.

# %% tags=["parameters"]
data = None  # folder of CSV files, xlsx workbook or SQL URL; None for the bundled sample
output_dir = None  # folder for results; None for the default under reports/
as_of = "2026-09-30"  # analysis date; the sample's reporting date (None for today)
validation_pdf = None  # None for reports/model_validation.pdf; "" not to render it
lang = "en"  # language of the charts and the validation report: "en" or "zh"

# %%
from IPython.display import display

from helpers import (charts, develop_scorecard, load_portfolio, model_output_dir, render_validation,
                     save_result, selection_log_text, show_chart, validation_pack)

# %% [markdown]
# Load and validate the data; fit on the development years, keep the last years out of time.

# %%
portfolio = load_portfolio(data, as_of=as_of)
out = model_output_dir(output_dir)
scorecard, development, test = develop_scorecard(portfolio)
scorecard.iv_table_

# %% [markdown]
# How the characteristics were selected: every one that left, and why.

# %%
import pandas as pd

pd.DataFrame(selection_log_text(scorecard.selection_log_, scorecard.labels, lang))

# %% [markdown]
# The statsmodels Logit of the default flag on the weights of evidence.

# %%
print(scorecard.summary_text_)

# %% [markdown]
# The validation pack: discrimination, calibration by grade, stability.

# %%
pack = validation_pack(scorecard, development, test, portfolio)
pd.DataFrame(pack["calibration"]["by_grade"])

# %%
# NBVAL_CHECK_OUTPUT
print("selected:", ", ".join(scorecard.selected_))
for sample in ("development", "test"):
    d = pack["discrimination"][sample]
    print(f"{sample}: n={d['n']} defaults={d['n_bad']} AUC={d['auc']['value']:.3f} ({d['auc']['light']})")

# %% [markdown]
# Charts for the validation report.

# %%
for name, figure in charts.validation_charts(pack, lang).items():
    display(show_chart(out, name, figure))

# %% [markdown]
# Save the model artifact (JSON, checksummed) and the pack, and render the validation report.

# %%
artifact = scorecard.to_json(out / "scorecard.json")
save_result(out, "model_validation", pack)
if validation_pdf != "":  # "": the batch renders it, with this executed notebook attached
    pdf = render_validation(out, validation_pdf, lang=lang, portfolio=portfolio)
print(f"model {scorecard.model_version_}: {artifact.name}")
