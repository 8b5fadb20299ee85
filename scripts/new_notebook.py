"""Write notebooks/financial_analysis.ipynb from the cell list below (kept for easy review).

Run ``python scripts/new_notebook.py`` after editing; the notebook is committed without outputs
except for cells marked ``# NBVAL_CHECK_OUTPUT``, whose outputs nbval compares.
"""
from pathlib import Path

import nbformat as nbf

CELLS = [
    ("md", "# Financial-statement analysis\n\nThe customer's creditworthiness from its statements: the statements "
           "and their common-size view, the ratio catalogue with the policy's traffic lights and industry peers, "
           "trends, Altman's distress score, the FAQ's liquidity and market risk, and the findings. Set "
           "`customer_id` below and run all cells; the results are saved for the PDF report."),
    ("params", 'customer_id = "CASE1"  # a customers.customer_id\n'
               'data = None  # folder of CSV files, xlsx workbook or SQL URL; None for the bundled sample\n'
               'output_dir = None  # folder for results; None for reports/<customer_id>\n'
               'as_of = None  # analysis date as "YYYY-MM-DD"; None for today'),
    ("code", "from collections import Counter\n\n"
             "import pandas as pd\n"
             "from IPython.display import display\n\n"
             "from helpers import (charts, customer_output_dir, customer_profile, financial_section, load_portfolio,\n"
             "                     ratio_frame, save_chart, save_result)\n"
             "pd.set_option(\"display.float_format\", \"{:,.2f}\".format)"),
    ("md", "Load and validate the data once; the customer's profile. The portfolio-wide work (ratios, "
           "peers, distress scores of every customer) is computed once and reused."),
    ("code", "portfolio = load_portfolio(data, as_of=as_of)\n"
             "out = customer_output_dir(output_dir, customer_id)\n"
             "profile = customer_profile(portfolio, customer_id)\n"
             "section = financial_section(portfolio, customer_id)\n"
             "pd.Series(profile[\"customer\"]).to_frame(\"value\")"),
    ("md", "Data warnings kept for the report (unaudited years, gaps, a single year, …)."),
    ("code", "pd.DataFrame(profile[\"warnings\"], columns=[\"source\", \"row\", \"column\", \"value\", \"message\"])"),
    ("md", "The statements in thousands of the customer's currency, with the common-size view "
           "(income-statement and cash-flow lines as a share of revenue, balance-sheet lines as a share of total assets)."),
    ("code", "statements = pd.DataFrame(section[\"statements\"]).set_index([\"statement\", \"line\"])\n"
             "statements.drop(columns=\"subtotal\")"),
    ("md", "The ratio catalogue by year, with the change on the prior year, the policy's traffic light for "
           "the latest year and the customer's percentile among its industry peers."),
    ("code", "ratio_frame(section)"),
    ("md", "The headline: short-term solvency, the distress zone and the number of findings by severity."),
    ("code", "# NBVAL_CHECK_OUTPUT\n"
             "latest, z = section[\"summary\"][\"ratios\"], section[\"summary\"][\"z_score\"]\n"
             "print(f\"{customer_id} {section['latest_year']}: current ratio {latest['current_ratio']:.2f}, \"\n"
             "      f\"quick ratio {latest['quick_ratio']:.2f}, Altman {z['model']} {z['value']:.2f} ({z['zone']})\")\n"
             "print(dict(Counter(f[\"severity\"] for f in section[\"findings\"])))"),
    ("md", "Trends: revenue, liquidity and leverage against the policy limits, margins, profit and cash."),
    ("code", "for name, figure in charts.financial_charts(section).items():\n"
             "    display(figure)\n"
             "    save_chart(out, name, figure)"),
    ("md", "Altman's distress score by year; the model follows the industry (Z' for manufacturers, Z'' otherwise)."),
    ("code", "pd.DataFrame(section[\"altman\"][\"by_year\"]).set_index(\"fiscal_year\")[[\"model\", \"x\", \"value\", \"zone\"]]"),
    ("md", "The FAQ's other risk dimensions, as far as the data carries them."),
    ("code", "pd.DataFrame(section[\"risk_dimensions\"])"),
    ("md", "Findings, most severe first."),
    ("code", "pd.DataFrame(section[\"findings\"])[[\"severity\", \"area\", \"text\"]]"),
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
                                       extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
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
