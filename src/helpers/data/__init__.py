"""Layer 2, data: the input contract, reading and validation at the boundary, the validated Portfolio,
bank-facility definitions and the results store."""
from .contract import RATIO_NAMES, STATEMENT_MONEY_COLUMNS, TABLES
from .portfolio import CustomerData, Portfolio, customer_profile, load_portfolio
from .sources import read_tables, write_tables
from .store import (customer_output_dir, load_order_log, load_previous, load_results, model_output_dir, model_path, read_json, save_chart,
                    save_result, show_chart, write_json)
from .validate import validate_tables

__all__ = ["TABLES", "RATIO_NAMES", "STATEMENT_MONEY_COLUMNS", "CustomerData", "Portfolio", "customer_profile",
           "load_portfolio", "read_tables", "write_tables", "validate_tables", "customer_output_dir", "load_results", "load_previous", "load_order_log",
           "model_output_dir", "model_path", "read_json", "save_chart", "save_result", "show_chart", "write_json"]
