"""Write notebooks/financial_analysis.ipynb from the cell list below (kept for easy review).

Run ``python scripts/new_notebook.py`` after editing; the notebook is committed without outputs
except for cells marked ``# NBVAL_CHECK_OUTPUT``, whose outputs nbval compares.
"""
from pathlib import Path

import nbformat as nbf

CELLS = [
    ("md", "# Financial-statement analysis\n\nThe customer's statements, the statement summary and the "
           "liquidity ratios — short-term solvency first, as the credit policy asks. Set `customer_id` below "
           "and run all cells; the results are saved for the PDF report."),
    ("params", 'customer_id = "CASE1"  # a customers.customer_id\n'
               'data = None  # folder of CSV files, xlsx workbook or SQL URL; None for the bundled sample\n'
               'output_dir = None  # folder for results; None for reports/<customer_id>\n'
               'as_of = None  # analysis date as "YYYY-MM-DD"; None for today'),
    ("code", "import pandas as pd\n\n"
             "from helpers import charts, customer_profile, financial_section, load_portfolio, save_chart, save_result\n"
             "from helpers.results import customer_output_dir\n"
             "from helpers.statements import statement_summary\n\n"
             "pd.set_option(\"display.float_format\", \"{:,.2f}\".format)\n"
             "out = customer_output_dir(output_dir, customer_id)"),
    ("md", "Load and validate the data once; then the customer's profile."),
    ("code", "portfolio = load_portfolio(data, as_of=as_of)\n"
             "customer = portfolio.customer(customer_id)\n"
             "profile = customer_profile(portfolio, customer_id)\n"
             "pd.Series(profile[\"customer\"]).to_frame(\"value\")"),
    ("md", "Data warnings kept for the report (unaudited years, gaps, a single year, …)."),
    ("code", "pd.DataFrame(profile[\"warnings\"], columns=[\"source\", \"row\", \"column\", \"value\", \"message\"])"),
    ("md", "Statement summary, in thousands of the customer's currency."),
    ("code", "statement_summary(customer.statements, scale=1_000)"),
    ("md", "Liquidity ratios by year with the policy's traffic light for the latest year."),
    ("code", "section = financial_section(customer)\n"
             "pd.DataFrame(section[\"ratios\"]).set_index(\"ratio\")"),
    ("md", "The headline: short-term solvency in the latest year."),
    ("code", "# NBVAL_CHECK_OUTPUT\n"
             "latest = section[\"summary\"][\"ratios\"]\n"
             "print(f\"{customer_id} {section['latest_year']}: current ratio {latest['current_ratio']:.2f}, \"\n"
             "      f\"quick ratio {latest['quick_ratio']:.2f}\")"),
    ("md", "Trends: liquidity against the policy minimums, revenue and profit."),
    ("code", "liquidity = charts.liquidity_chart(section)\n"
             "save_chart(out, \"liquidity\", liquidity)\n"
             "liquidity"),
    ("code", "trend = charts.statement_trend_chart(section)\n"
             "save_chart(out, \"statement_trend\", trend)\n"
             "trend"),
    ("md", "Save the results for the report."),
    ("code", "save_result(out, \"profile\", profile)\n"
             "save_result(out, \"financial_analysis\", section)\n"
             "print(f\"saved to {out}\")"),
]


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


def keep_check_outputs(nb: nbf.NotebookNode, target: Path) -> None:
    """Execute ``nb`` on the sample and keep outputs only of ``# NBVAL_CHECK_OUTPUT`` cells."""
    import tempfile

    import papermill as pm

    with tempfile.TemporaryDirectory() as tmp:
        executed = pm.execute_notebook(str(target), f"{tmp}/run.ipynb", parameters={"output_dir": tmp},
                                       kernel_name="riskbook", progress_bar=False, cwd=str(target.parent),
                                       extra_arguments=["--IPKernelApp.log_level=ERROR"])
    by_id = {c.get("id"): c for c in executed.cells}
    for cell in nb.cells:
        if cell.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in cell.source:
            ran = by_id[cell["id"]]
            cell.outputs, cell.execution_count = ran.outputs, ran.execution_count


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "notebooks" / "financial_analysis.ipynb"
    nb = build(CELLS)
    nbf.write(nb, target)
    keep_check_outputs(nb, target)
    nbf.write(nb, target)
    print(f"wrote {target}")
