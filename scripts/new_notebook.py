"""Write the notebooks in notebooks/ from the cell lists below (kept here for easy review).

Run ``python scripts/new_notebook.py`` after editing; notebooks are committed without outputs
except for cells marked ``# NBVAL_CHECK_OUTPUT``, whose outputs nbval compares. They are executed
in pipeline order (the model first), so that the scoring notebook finds the model artifact.
"""
from pathlib import Path

import nbformat as nbf

FINANCIAL_ANALYSIS = [
    ("md", "# Financial-statement analysis\n\nThe customer's creditworthiness from its statements: the statements "
           "and their common-size view, the ratio catalogue with the policy's traffic lights and industry peers, "
           "trends, Altman's distress score, the FAQ's liquidity and market risk, and the findings. Set "
           "`customer_id` below and run all cells; the results are saved for the PDF report."),
    ("params", 'customer_id = "CASE1"  # a customers.customer_id\n'
               'data = None  # folder of CSV files, xlsx workbook or SQL URL; None for the bundled sample\n'
               'output_dir = None  # folder for results; None for reports/<customer_id>\n'
               'as_of = "2026-09-30"  # analysis date; the sample\'s reporting date (None for today)\n'
               'lang = "en"  # language of the tables, charts and PDF: "en" or "zh"'),
    ("code", "from collections import Counter\n\n"
             "import pandas as pd\n"
             "from IPython.display import display\n\n"
             "from helpers import (charts, customer_output_dir, customer_profile, financial_section, financial_text,\n"
             "                     load_portfolio, profile_text, ratio_frame, save_result, show_chart)\n"
             "pd.set_option(\"display.float_format\", \"{:,.2f}\".format)"),
    ("md", "Load and validate the data once; the customer's profile. The portfolio-wide work (ratios, "
           "peers, distress scores of every customer) is computed once and reused."),
    ("code", "portfolio = load_portfolio(data, as_of=as_of)\n"
             "out = customer_output_dir(output_dir, customer_id)\n"
             "profile = customer_profile(portfolio, customer_id)\n"
             "section = financial_section(portfolio, customer_id)\n"
             "words = financial_text(section, lang)  # the section in words, in the report's language\n"
             "pd.Series(profile_text(profile, lang)[\"customer\"]).to_frame(\"value\")"),
    ("md", "Data warnings kept for the report (unaudited years, gaps, a single year, …)."),
    ("code", "pd.DataFrame(profile_text(profile, lang)[\"warnings\"], columns=[\"source\", \"row\", \"column\", \"value\", \"message\"])"),
    ("md", "The statements in thousands of the customer's currency, with the common-size view "
           "(income-statement and cash-flow lines as a share of revenue, balance-sheet lines as a share of total assets)."),
    ("code", "statements = pd.DataFrame(words[\"statements\"]).set_index([\"statement\", \"line\"])\n"
             "statements.drop(columns=[\"subtotal\", \"statement_key\", \"line_key\"])"),
    ("md", "The ratio catalogue by year, with the change on the prior year, the policy's traffic light for "
           "the latest year and the customer's percentile among its industry peers."),
    ("code", "ratio_frame(section, lang)"),
    ("md", "The headline: short-term solvency, the distress zone and the number of findings by severity."),
    ("code", "# NBVAL_CHECK_OUTPUT\n"
             "latest, z = section[\"summary\"][\"ratios\"], section[\"summary\"][\"z_score\"]\n"
             "print(f\"{customer_id} {section['latest_year']}: current ratio {latest['current_ratio']:.2f}, \"\n"
             "      f\"quick ratio {latest['quick_ratio']:.2f}, Altman {z['model']} {z['value']:.2f} ({z['zone']})\")\n"
             "print(dict(Counter(f[\"severity\"] for f in section[\"findings\"])))"),
    ("md", "Trends: revenue, liquidity and leverage against the policy limits, margins, profit and cash."),
    ("code", "for name, figure in charts.financial_charts(section, lang).items():\n"
             "    display(show_chart(out, name, figure))"),
    ("md", "Altman's distress score by year; the model follows the industry (Z' for manufacturers, Z'' otherwise)."),
    ("code", "pd.DataFrame(words[\"altman\"][\"by_year\"]).set_index(\"fiscal_year\")[[\"label\", \"x\", \"value\", \"zone_label\"]]"),
    ("md", "The FAQ's other risk dimensions, as far as the data carries them."),
    ("code", "pd.DataFrame(words[\"risk_dimensions\"])[[\"dimension\", \"label\", \"value\", \"unit\"]]"),
    ("md", "Findings, most severe first."),
    ("code", "pd.DataFrame(words[\"findings\"])[[\"severity_label\", \"area\", \"text\"]]"),
    ("md", "Save the results for the report."),
    ("code", "save_result(out, \"profile\", profile)\n"
             "save_result(out, \"financial_analysis\", section)\n"
             "print(f\"saved to {out}\")"),
]


COMMON = ('data = None  # folder of CSV files, xlsx workbook or SQL URL; None for the bundled sample\n'
          'output_dir = None  # folder for results; None for the default under reports/\n'
          'as_of = "2026-09-30"  # analysis date; the sample\'s reporting date (None for today)')

MODEL_DEVELOPMENT = [
    ("md", "# Model development and validation\n\nFits the statistical scorecard on the outcome history "
           "(optbinning's monotonic binning and weight of evidence, screening by information value, correlation and "
           "VIF, a statsmodels Logit keeping the characteristics the policy's `scoring.selection` rule keeps, calibration to the central tendency, scaling to "
           "points, the master scale), validates it on the held-out last years and checks its stability on the "
           "current customers. Writes the JSON model artifact and the validation PDF for auditors."),
    ("params", COMMON + '\nvalidation_pdf = None  # None for reports/model_validation.pdf; "" not to render it\n'
     'lang = "en"  # language of the charts and the validation report: "en" or "zh"'),
    ("code", "from IPython.display import display\n\n"
             "from helpers import (charts, develop_scorecard, load_portfolio, model_output_dir, render_validation,\n"
             "                     save_result, selection_log_text, show_chart, validation_pack)"),
    ("md", "Load and validate the data; fit on the development years, keep the last years out of time."),
    ("code", "portfolio = load_portfolio(data, as_of=as_of)\n"
             "out = model_output_dir(output_dir)\n"
             "scorecard, development, test = develop_scorecard(portfolio)\n"
             "scorecard.iv_table_"),
    ("md", "How the characteristics were selected: every one that left, and why."),
    ("code", "import pandas as pd\n\n"
             "pd.DataFrame(selection_log_text(scorecard.selection_log_, scorecard.labels, lang))"),
    ("md", "The statsmodels Logit of the default flag on the weights of evidence."),
    ("code", "print(scorecard.summary_text_)"),
    ("md", "The validation pack: discrimination, calibration by grade, stability."),
    ("code", "pack = validation_pack(scorecard, development, test, portfolio)\n"
             "pd.DataFrame(pack[\"calibration\"][\"by_grade\"])"),
    ("code", "# NBVAL_CHECK_OUTPUT\n"
             "print(\"selected:\", \", \".join(scorecard.selected_))\n"
             "for sample in (\"development\", \"test\"):\n"
             "    d = pack[\"discrimination\"][sample]\n"
             "    print(f\"{sample}: n={d['n']} defaults={d['n_bad']} AUC={d['auc']['value']:.3f} ({d['auc']['light']})\")"),
    ("md", "Charts for the validation report."),
    ("code", "for name, figure in charts.validation_charts(pack, lang).items():\n"
             "    display(show_chart(out, name, figure))"),
    ("md", "Save the model artifact (JSON, checksummed) and the pack, and render the validation report."),
    ("code", "artifact = scorecard.to_json(out / \"scorecard.json\")\n"
             "save_result(out, \"model_validation\", pack)\n"
             "if validation_pdf != \"\":  # \"\": the batch renders it, with this executed notebook attached\n"
             "    pdf = render_validation(out, validation_pdf, lang=lang, portfolio=portfolio)\n"
             "print(f\"model {scorecard.model_version_}: {artifact.name}\")"),
]

CREDIT_SCORING = [
    ("md", "# Credit scoring\n\nThe customer's score, PD and grade from the statistical scorecard, the points per "
           "characteristic and the reasons that cost the most points; the qualitative assessment and the expert scorecard of "
           "the policy; and a "
           "comparison with the Altman zone and the third-party rating. An analyst may override the grade with a "
           "reason and a name: the override is recorded and shown, never hidden."),
    ("params", 'customer_id = "CASE1"  # a customers.customer_id\n' + COMMON +
     '\nmodel = None  # scorecard artifact; None for reports/model/scorecard.json\n'
     'override_grade = None  # e.g. "5" to override the model grade\n'
     'override_reason = None  # why (required with an override)\n'
     'override_by = None  # who (required with an override)\n'
     'assessment_answers = None  # answers to the policy\'s assessment questions, e.g. {"internal_controls": "weak"}\n'
     'assessment_by = None  # who answered (required with answers)\n'
     'assessment_evidence = None  # what each answer rests on, e.g. {"internal_controls": "books kept by an agent"}\n'
     'lang = "en"  # language of the tables, charts and PDF: "en" or "zh"'),
    ("code", "import pandas as pd\n"
             "from IPython.display import display\n\n"
             "from helpers import (charts, credit_section, credit_text, customer_output_dir, load_portfolio, load_scorecard,\n"
             "                     model_path, save_result, show_chart)"),
    ("md", "Load the data and the model artifact (it refuses an artifact whose checksum does not match)."),
    ("code", "portfolio = load_portfolio(data, as_of=as_of)\n"
             "out = customer_output_dir(output_dir, customer_id)\n"
             "scorecard = load_scorecard(model_path(model))\n"
             "section = credit_section(portfolio, customer_id, scorecard, override_grade=override_grade,\n"
             "                         override_reason=override_reason, override_by=override_by,\n"
             "                         assessment_answers=assessment_answers, assessment_by=assessment_by,\n"
             "                         assessment_evidence=assessment_evidence)\n"
             "words = credit_text(section, lang)  # the section in words, in the report's language"),
    ("md", "Points per characteristic of the statistical scorecard."),
    ("code", "pd.DataFrame(words[\"statistical\"][\"points\"]).set_index(\"label\")"),
    ("md", "The headline: score, PD and grade, and the reasons that cost the most points."),
    ("code", "# NBVAL_CHECK_OUTPUT\n"
             "s = section[\"statistical\"]\n"
             "print(f\"{customer_id}: score {s['score']:.0f}, PD {s['pd']:.2%}, grade {s['grade']}; \"\n"
             "      f\"expert grade {section['expert']['grade']}\")\n"
             "for reason in words[\"reason_texts\"]:\n"
             "    print(\" -\", reason)"),
    ("md", "The qualitative assessment: the policy's questions with the answers scored, their evidence and points. "
           "A customer without a current assessment can be answered above (`assessment_answers`, `assessment_by`); "
           "unanswered questions get the policy's neutral treatment. Answers given here are recorded in this run's "
           "results and report; to keep them for the nightly batch, add them to the `assessments` table."),
    ("code", "print(words[\"assessment\"][\"status_text\"])\n"
             "pd.DataFrame(words[\"assessment\"][\"questions\"]).set_index(\"text\")[[\"answer_label\", \"points\", \"evidence\"]]"),
    ("md", "The expert scorecard of the policy."),
    ("code", "pd.DataFrame(words[\"expert\"][\"points\"]).set_index(\"label\")"),
    ("md", "Statistical and expert grade, third-party rating and Altman zone side by side; disagreements and any override."),
    ("code", "display(pd.DataFrame(words[\"comparison\"]))\n"
             "words[\"disagreements\"], section[\"override\"]"),
    ("md", "Save the chart and the results for the report."),
    ("code", "figure = charts.points_chart(section, lang)\n"
             "display(show_chart(out, \"score_points\", figure))\n"
             "save_result(out, \"credit_scoring\", section)"),
]

SCENARIO_CASES = [
    ("md", "# Scenario cases and decisions\n\nStress the customer's latest statements under the policy's scenarios "
           "(and any ad-hoc ones below), re-score, and turn the analysis into decisions: the credit limit with its "
           "calculation log, the payment terms chosen among the policy's options by risk-adjusted value, credit "
           "insurance, the contract clauses and the review date."),
    ("params", 'customer_id = "CASE1"  # a customers.customer_id\n' + COMMON +
     '\nmodel = None  # scorecard artifact; None for reports/model/scorecard.json\n'
     'scenarios = None  # ad-hoc scenarios, e.g. {"export_slump": {"revenue": -0.25, "fx": -0.2}}\n'
     'lang = "en"  # language of the tables, charts and PDF: "en" or "zh"'),
    ("code", "import pandas as pd\n"
             "from IPython.display import display\n\n"
             "from helpers import (charts, customer_output_dir, decision_section, decision_text, final_credit, load_portfolio,\n"
             "                     load_results, load_scorecard, model_path, policy_scenarios, run_scenarios, show_chart,\n"
             "                     save_result)"),
    ("md", "Load the data, the model and the customer's grade (with any override the scoring notebook recorded)."),
    ("code", "portfolio = load_portfolio(data, as_of=as_of)\n"
             "out = customer_output_dir(output_dir, customer_id)\n"
             "scorecard = load_scorecard(model_path(model))\n"
             "saved = load_results(out).get(\"credit_scoring\")\n"
             "credit = final_credit(portfolio, customer_id, scorecard, saved)"),
    ("md", "The stress table: ratios, score, PD and grade under each scenario."),
    ("code", "table = run_scenarios(portfolio, customer_id, scorecard, policy_scenarios(portfolio.policy, scenarios), credit)\n"
             "table.set_index(\"scenario\")"),
    ("md", "The credit limit and how it was calculated."),
    ("code", "section = decision_section(portfolio, customer_id, scorecard, credit, table)\n"
             "words = decision_text(section, lang)  # the section in words, in the report's language\n"
             "pd.DataFrame(words[\"limit\"][\"log\"])[[\"label\", \"formula\", \"value\"]]"),
    ("md", "Every payment-terms option: exposure, expected loss under each scenario, costs, margin and value; "
           "why the others lost."),
    ("code", "pd.DataFrame(words[\"options\"]).set_index(\"label\").drop(columns=[\"option\"])"),
    ("code", "# NBVAL_CHECK_OUTPUT\n"
             "t, ins = words[\"terms\"], section[\"insurance\"]\n"
             "print(f\"{customer_id}: grade {section['grade']}, limit {section['limit']['recommended']:,.0f} \"\n"
             "      f\"{section['currency']}, terms: {t['label']}, insurance: {ins['kind'] or 'none'}, \"\n"
             "      f\"review {section['review_date']:%Y-%m-%d}\")"),
    ("md", "The contract clauses this customer's contract needs."),
    ("code", "pd.DataFrame(words[\"clauses\"]).query(\"required\")[[\"title\", \"text\"]]"),
    ("md", "Save the chart and the results for the report."),
    ("code", "figure = charts.scenario_chart(section, lang)\n"
             "display(show_chart(out, \"scenarios\", figure))\n"
             "save_result(out, \"scenario_cases\", section)"),
]

MONITORING = [
    ("md", "# Monitoring and relationship\n\nHow the customer pays us, from our own receivables ledger: aging, DSO, "
           "days beyond terms, a payment index 0–100 after D&B's PAYDEX, exposure against the limit, large "
           "transactions; the early-warning signals of the policy, the review schedule, the contact log, and the "
           "expected credit loss of the open receivables (IFRS 9 simplified approach, the portfolio's provision "
           "matrix); and the four-risk profile of page one. Runs after the scenario notebook, whose limit, terms and review "
           "date it monitors."),
    ("params", 'customer_id = "CASE1"  # a customers.customer_id\n' + COMMON +
     '\nprevious = None  # summary.json of the previous run (grade downgrade, overdue review); None: none\n'
     'order_log = None  # the batch\'s extract of the decision log (order holds, releases); None: no log\n'
     'lang = "en"  # language of the tables, charts and PDF: "en" or "zh"'),
    ("code", "import pandas as pd\n"
             "from IPython.display import display\n\n"
             "from helpers import (charts, customer_output_dir, load_order_log, load_portfolio, load_previous, load_results,\n"
             "                     monitoring_section, monitoring_text, risk_profile, risk_profile_text, show_chart,\n"
             "                     save_result)"),
    ("md", "Load the data and the sections this one monitors (credit grade, limit, terms, insurance, review date)."),
    ("code", "portfolio = load_portfolio(data, as_of=as_of)\n"
             "out = customer_output_dir(output_dir, customer_id)\n"
             "saved = load_results(out)\n"
             "section = monitoring_section(portfolio, customer_id, saved[\"credit_scoring\"], saved[\"scenario_cases\"],\n"
             "                             previous=load_previous(previous), order_log=load_order_log(order_log))\n"
             "words = monitoring_text(section, lang)  # the section in words, in the report's language"),
    ("md", "Receivables by aging bucket, and how the customer paid: DSO, days beyond terms, the payment index."),
    ("code", "display(pd.DataFrame(words[\"aging\"]).set_index(\"label\"))\n"
             "pd.DataFrame(words[\"payments\"]).set_index(\"label\")"),
    ("md", "The headline: exposure against the limit, the payment index and the early-warning signals."),
    ("code", "# NBVAL_CHECK_OUTPUT\n"
             "e, p = section[\"exposure\"], section[\"payment_index\"]\n"
             "print(f\"{customer_id}: exposure {e['exposure']:,.0f} {section['currency']} of limit {e['limit']:,.0f}, \"\n"
             "      f\"payment index {p['value']:.0f}, ECL {section['ecl']['weighted']:,.0f}\")\n"
             "print(\"signals:\", \", \".join(f\"{w['rule']} ({w['severity']})\" for w in section[\"warnings\"]) or \"none\")"),
    ("md", "Early-warning signals with the numbers that fired them and what to do; the review schedule."),
    ("code", "display(pd.DataFrame(words[\"warnings\"], columns=[\"severity_label\", \"text\", \"action\"]))\n"
             "words[\"review\"]"),
    ("md", "Large transactions of the last months."),
    ("code", "pd.DataFrame(words[\"large_transactions\"])"),
    ("md", "The relationship: visits and calls against the policy's minimum, complaints and disputes, feedback."),
    ("code", "display(pd.DataFrame(words[\"contact_facts\"]).set_index(\"label\"))\n"
             "pd.DataFrame(words[\"issues\"])"),
    ("md", "Expected credit loss of the open receivables: the provision matrix of the customer's group, and the ECL "
           "under each scenario."),
    ("code", "display(pd.DataFrame(words[\"ecl\"][\"matrix\"]).set_index(\"label\"))\n"
             "pd.DataFrame(words[\"ecl\"][\"scenario_rows\"]).set_index(\"label\")"),
    ("md", "Save the chart and the results for the report."),
    ("code", "figure = charts.receivables_chart(section, lang)\n"
             "display(show_chart(out, \"receivables\", figure))\n"
             "save_result(out, \"monitoring\", section)"),
    ("md", "The four-risk profile of page one: credit, liquidity, market and operational risk, each low, medium or high "
           "as the worst of its drivers (the policy's `risk_profile` thresholds), from the sections above and the "
           "qualitative assessment."),
    ("code", "# NBVAL_CHECK_OUTPUT\n"
             "profile = risk_profile(portfolio, customer_id, saved[\"credit_scoring\"], section)\n"
             "save_result(out, \"risk_profile\", profile)\n"
             "for r in profile[\"risks\"]:\n"
             "    print(f\"{r['risk']}: {r['level']} ({', '.join(d['code'] for d in r['shown'])})\")"),
    ("code", "pd.DataFrame(risk_profile_text(profile, lang)[\"rows\"])"),
]

#: Notebooks in pipeline order: the model first, then the per-customer notebooks.
NOTEBOOKS = {"model_development": MODEL_DEVELOPMENT, "financial_analysis": FINANCIAL_ANALYSIS,
             "credit_scoring": CREDIT_SCORING, "scenario_cases": SCENARIO_CASES, "monitoring": MONITORING}


def build(cells) -> nbf.NotebookNode:
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "riskbook", "display_name": "Python (riskbook)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, src in cells:
        if kind == "md":
            nb.cells.append(nbf.v4.new_markdown_cell(src))
        else:
            cell = nbf.v4.new_code_cell(src)
            if kind == "params":
                cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


def keep_check_outputs(nb: nbf.NotebookNode, target: Path, shared: str) -> None:
    """Execute ``nb`` on the sample and keep outputs only of ``# NBVAL_CHECK_OUTPUT`` cells.

    The customer notebooks share one output folder, so that later ones find the earlier ones' results.
    """
    import tempfile

    import papermill as pm

    with tempfile.TemporaryDirectory() as tmp:
        # the model notebook writes to its default place, where the scoring notebook looks for it
        params = {} if target.stem == "model_development" else {"output_dir": shared}
        executed = pm.execute_notebook(str(target), f"{tmp}/run.ipynb", parameters=params,
                                       kernel_name="riskbook", progress_bar=False, cwd=str(target.parent),
                                       extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    by_id = {c.get("id"): c for c in executed.cells}
    for cell in nb.cells:
        if cell.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in cell.source:
            ran = by_id[cell["id"]]
            cell.outputs, cell.execution_count = ran.outputs, ran.execution_count


if __name__ == "__main__":
    folder = Path(__file__).resolve().parents[1] / "notebooks"
    import sys
    import tempfile

    shared = tempfile.mkdtemp(prefix="riskbook-notebooks-")
    wanted = sys.argv[1:] or list(NOTEBOOKS)  # e.g. `python scripts/new_notebook.py monitoring`
    for name, cells in NOTEBOOKS.items():
        if name not in wanted:
            continue
        target = folder / f"{name}.ipynb"
        nb = build(cells)
        nbf.write(nb, target)
        keep_check_outputs(nb, target, shared)
        nbf.write(nb, target)
        print(f"wrote {target}")
