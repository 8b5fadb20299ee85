"""The ``riskbook`` command. Thin: it parses arguments and calls the modules.

Exit codes: 0 all customers ok (or skipped as up to date), 1 some customers failed (or, for ``validate``,
some customers would be set aside for their own input errors), 2 unusable arguments or input that fails
validation as a whole (any input error with ``--strict``), 3 an unexpected error (a bug: ``--debug`` shows the
traceback), 130 interrupted.
"""
from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import logging
import os
import secrets
import shlex
import sys
import traceback
from pathlib import Path

import pandas as pd
import uvicorn

from .config import DATA_SAMPLE, REPORTS_DIR, riskbook_version
from .data import load_portfolio
from .data.portfolio import SNAPSHOT_SUFFIX
from .data.sources import source_label
from .exceptions import OrderError, RiskbookError, ValidationError, printable
from .pipeline import run_batch
from .pipeline.manifest import LOG_NAME
from .pipeline.order_desk import OrderDesk
from .pipeline.verify import verification_lines, verification_record, verify_pdf
from .report.messages import messages
from .report.formatting import LANGUAGES, formatter
from .report.orders import check_text, error_text
from .report.problems import problem_line, write_problems_csv, write_problems_json, write_problems_workbook
from .report.starter import write_starter
from .service import load_keys, new_key
from .service.app import CONFIG_ENV

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    # no abbreviated options: the command a report records is read back by people and by _portable
    p = argparse.ArgumentParser(prog="riskbook", description="Credit-risk workbook: notebooks to PDF risk reports.",
                                allow_abbrev=False)
    p.add_argument("--version", action="version", version=f"riskbook {riskbook_version()}")
    p.add_argument("--debug", action="store_true",
                   help="show Python tracebacks of unexpected errors (otherwise one line says what went wrong)")
    loud = p.add_mutually_exclusive_group()
    loud.add_argument("-v", "--verbose", action="count", default=0,
                      help="also print the batch's log on stderr (each customer as it finishes); -vv for more")
    loud.add_argument("-q", "--quiet", action="store_true",
                      help="print only errors: no progress bar, no summary")
    sub = p.add_subparsers(dest="command", required=True)

    def data_args(sp):
        sp.add_argument("--data", default=str(DATA_SAMPLE),
                        help="folder of CSV files, .xlsx workbook or SQLAlchemy URL (default: bundled sample)")
        sp.add_argument("--policy", default=None, help="policy.yaml (default: beside the data)")
        sp.add_argument("--as-of", default=None, help="analysis date YYYY-MM-DD (default: today)")
        sp.add_argument("--schema", default=None,
                        help="for a database: the schema that holds the tables (default: the connection's)")
        sp.add_argument("--strict", action="store_true",
                        help="all or nothing: any input error stops everything (by default a customer whose own "
                             "rows break the contract is set aside as failed and the others run)")

    b = sub.add_parser("batch", help="run the notebooks and render a PDF for every customer", allow_abbrev=False)
    data_args(b)
    b.add_argument("--out", default=str(REPORTS_DIR), help="output folder (default: reports/)")
    b.add_argument("--customers", default=None, help="comma-separated customer ids (default: all)")
    b.add_argument("--workers", type=int, default=None, help="parallel worker processes (default: cores)")
    b.add_argument("--scheduler", default=None,
                   help="run on a Dask distributed cluster at this address (tcp://HOST:PORT); --out and --data "
                        "must be on a file system every worker sees")
    b.add_argument("--timeout", type=float, default=None,
                   help="seconds one notebook cell may run before its customer fails "
                        "(default: the policy's batch.notebook_timeout_seconds)")
    b.add_argument("--fresh-kernels", action="store_true",
                   help="start a fresh kernel for every notebook instead of reusing one per worker (slower)")
    b.add_argument("--force", action="store_true", help="re-run customers that are up to date")
    b.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    b.add_argument("--lang", choices=sorted(LANGUAGES), default=None,
                   help="language of the reports: en or zh (default: the policy's language, else en)")
    b.add_argument("--model", default=None,
                   help="approved scorecard artifact (JSON) to score with; default: fit and validate one on the "
                        "data's outcome history first")

    b.add_argument("--log", default=None,
                   help="order-check decision log (SQLAlchemy URL) whose recent holds and releases the reports show "
                        "(default: <out>/decisions.sqlite when it exists)")

    c = sub.add_parser("verify", help="re-check a riskbook PDF from the evidence attached inside it", allow_abbrev=False)
    c.add_argument("pdf", help="a customer report, model_validation.pdf or portfolio.pdf written by riskbook")
    c.add_argument("--data", default=None, help="re-run on this data source instead of the attached extract")
    c.add_argument("--policy", default=None, help="re-run under this policy file instead of the attached one")
    c.add_argument("--model", default=None, help="the scorecard artifact, when the report holds only its SHA-256")
    c.add_argument("--lang", choices=sorted(LANGUAGES), default=None,
                   help="language of the output (default: the report's)")
    c.add_argument("--json", action="store_true", help="print the result as JSON (checks, figures, differences)")

    v = sub.add_parser("validate", help="check input data against the contract and list every problem",
                       allow_abbrev=False)
    data_args(v)
    v.add_argument("--warnings", action="store_true", help="also list warnings")
    v.add_argument("--lang", choices=sorted(LANGUAGES), default="en", help="language of the problems (default: en)")
    v.add_argument("--format", choices=("text", "json", "csv"), default="text",
                   help="text (default) for people; json or csv: every problem and warning on stdout, one record "
                        "each (file, sheet, row, column, customer_id, value, severity, code, expected)")
    v.add_argument("--problems", default=None, metavar="FILE.xlsx",
                   help="also write every problem and warning to this workbook, to fix them in Excel")

    def desk_args(sp):
        sp.add_argument("--reports", default=str(REPORTS_DIR),
                        help="the batch output to read the customers' state from (default: reports/)")
        sp.add_argument("--data", default=None, help="data source for the ledger (default: the batch's)")
        sp.add_argument("--policy", default=None, help="policy.yaml (default: beside the data)")
        sp.add_argument("--log", default=None, help="decision log, an SQLAlchemy URL "
                        "(default: sqlite:///<reports>/decisions.sqlite; PostgreSQL: postgresql+psycopg://…)")
        sp.add_argument("--date", default=None, help="day of the orders YYYY-MM-DD (default: today)")
        sp.add_argument("--lang", choices=sorted(LANGUAGES), default=None, help="language of the texts (default: en)")

    o = sub.add_parser("check-order", help="credit check of one order at entry: approve, hold or escalate",
                       allow_abbrev=False)
    o.add_argument("customer", help="customer id")
    o.add_argument("amount", help="order value")
    o.add_argument("--currency", default=None, help="ISO 4217 currency of the amount (default: the customer's)")
    o.add_argument("--due-days", default=None, help="days to the due date (default: the agreed terms)")
    o.add_argument("--order-id", default=None, help="the ERP's order number (default: a new id)")
    o.add_argument("--user", default=None, help="who asks, for the log (default: the login name)")
    o.add_argument("--json", action="store_true", help="print the result as JSON")
    desk_args(o)

    s = sub.add_parser("serve", help="the order-check HTTP service and the credit manager's page", allow_abbrev=False)
    desk_args(s)
    s.add_argument("--keys", default=None, help="API key file (YAML; default: $RISKBOOK_KEYS); required")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    s.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: 1 with an SQLite log, which one process writes at a time "
                        "anyway; with PostgreSQL the cores, at most 4)")

    i = sub.add_parser("init", help="write a data folder to fill: portfolio.xlsx and a commented policy.yaml",
                       allow_abbrev=False)
    i.add_argument("folder", help="the folder to write (created when missing; existing files are never replaced)")
    i.add_argument("--lang", choices=sorted(LANGUAGES), default="en",
                   help="language of the workbook's notes and instructions and of the policy's comments")

    k = sub.add_parser("key", help="make an API key for the service and add it to the key file", allow_abbrev=False)
    k.add_argument("name", help="who holds the key (recorded as the actor of what it does)")
    k.add_argument("--role", choices=("erp", "manager"), required=True, help="erp: check orders; manager: also release")
    k.add_argument("--keys", required=True, help="the key file to add it to (created when absent)")
    return p


def _load(args):
    as_of = None
    if args.as_of:
        try:
            as_of = pd.Timestamp(dt.date.fromisoformat(args.as_of))
        except ValueError:
            raise SystemExit(_fail(f"--as-of must be a date YYYY-MM-DD, not {args.as_of!r}")) from None
    if str(args.data).endswith(SNAPSHOT_SUFFIX):  # the batch's own cache is never a data source
        raise SystemExit(_fail(f"--data {args.data}: a *{SNAPSHOT_SUFFIX} file is a batch's internal cache, "
                               "not a data source; give the folder of CSV files, the .xlsx workbook or the "
                               "database URL it was made from"))
    return load_portfolio(args.data, args.policy, as_of=as_of, strict=args.strict, schema=args.schema)


_PATH_OPTIONS = ("--data", "--policy", "--model")
#: The batch options that change what a report says; the others (which customers, how many workers,
#: where the reports go, timeouts, the scheduler) change where or how fast, not the report.
_REPORT_OPTIONS = _PATH_OPTIONS + ("--as-of", "--lang", "--schema")


def _portable(argv: list[str]) -> list[str]:
    """The command line as a report records it: the subcommand and the options that change a report
    (data, policy, model, as-of date, language), with data, policy and model named as
    :func:`helpers.data.sources.source_label` names them (no machine path, no password). Two runs of the
    same inputs record the same command, whatever customers, workers or output folder they were given;
    no other customer's id and no scheduler address is recorded."""
    out = argv[:1]
    i = 1
    while i < len(argv):
        a = argv[i]
        name, eq, value = a.partition("=")
        takes_value = not eq and i + 1 < len(argv) and not argv[i + 1].startswith("--")
        if name.startswith("--"):
            if not eq and takes_value:
                value, i = argv[i + 1], i + 1
            if name in _REPORT_OPTIONS and (eq or takes_value):
                value = source_label(value) if name in _PATH_OPTIONS else value
                out += [f"{name}={value}"] if eq else [name, value]
        i += 1
    return out


def _fail(message: str) -> int:
    print(f"riskbook: {message}", file=sys.stderr)
    return 2


def _verify(args) -> int:
    """``riskbook verify``: 0 when everything matches, 1 when something differs, 2 when it cannot be checked."""
    for given in (args.pdf, args.policy, args.model):
        if given is not None and not Path(given).is_file():
            return _fail(messages(args.lang or "en")("verify.usage.not_found", file=given))
    try:
        result = verify_pdf(args.pdf, data=args.data, policy=args.policy, model=args.model)
    except RiskbookError as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps(verification_record(result), ensure_ascii=False, indent=1, default=str))
    else:
        for line in verification_lines(result, args.lang):
            print(line)
    if not result.manifest or result.failed("option"):
        return 2
    return 0 if result.ok else 1


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SystemExit(_fail(f"--date must be a date YYYY-MM-DD, not {value!r}")) from None


def _check_order(args) -> int:
    """``riskbook check-order``: 0 approved, 1 held or escalated, 2 the check could not be made."""
    lang = args.lang or "en"
    try:
        on = _day(args.date)
        desk = OrderDesk(args.reports, data=args.data, policy=args.policy, log=args.log)
    except SystemExit as exc:
        return int(exc.code)
    except RiskbookError as exc:
        return _fail(str(exc))
    try:
        result = desk.check(args.customer, args.amount, args.currency, args.due_days, args.order_id, on=on,
                            actor=args.user or getpass.getuser())
    except OrderError as exc:
        return _fail(error_text(exc.code, exc.args_, lang))
    finally:
        desk.log.dispose()
    shown = check_text(result, lang)
    if args.json:
        print(json.dumps(shown, ensure_ascii=False, indent=1, default=str))
    else:
        t, f, fig = messages(lang), formatter(lang), result["figures"]
        ccy = fig.get("limit_currency") or result["currency"]
        print(t("cli.order.outcome", outcome=shown["outcome_label"], headline=shown["headline"]))
        if shown["reasons"]:
            print(t("cli.order.reasons"))
            for r in shown["reasons"]:
                print(f"  [{r['code']}, {r['action_label']}] {r['text']}")
        print(t("cli.order.figures", open_invoices=f.amount(fig["open_invoices"], ccy),
                open_orders=f.amount(fig["open_orders"], ccy), credit=f.amount(fig["credit_amount"], ccy),
                exposure_after=f.amount(fig["exposure_after"], ccy), limit=f.amount(fig["limit"], ccy)))
        print(t("cli.order.entry", entry_id=result["entry_id"], log=desk.log.label))
    return 0 if result["outcome"] == "approve" else 1


def _serve(args) -> int:
    """``riskbook serve``: runs until stopped."""
    keys_file = args.keys or os.environ.get("RISKBOOK_KEYS")
    if not keys_file:
        return _fail("riskbook serve needs API keys (--keys FILE or $RISKBOOK_KEYS); make one with "
                     "riskbook key NAME --role manager --keys FILE")
    if args.workers is not None and args.workers < 1:
        return _fail("--workers must be at least 1")
    try:
        _day(args.date)
        load_keys(keys_file)
        desk = OrderDesk(args.reports, data=args.data, policy=args.policy, log=args.log)  # fails here, not in a worker
    except SystemExit as exc:
        return int(exc.code)
    except RiskbookError as exc:
        return _fail(str(exc))
    desk.log.dispose()
    workers = args.workers or (1 if desk.log.dialect == "sqlite" else max(1, min(os.cpu_count() or 1, 4)))
    os.environ[CONFIG_ENV] = json.dumps({
        "reports": str(Path(args.reports).resolve()), "data": args.data, "policy": args.policy, "log": args.log,
        "keys": str(Path(keys_file).resolve()), "lang": args.lang, "date": args.date,
        "session_secret": secrets.token_hex(32)})
    print(f"riskbook serve: {len(desk.state.states)} customer reports from {args.reports}, decision log "
          f"{desk.log.label}, {workers} worker(s); http://{args.host}:{args.port}/manager", file=sys.stderr)
    uvicorn.run("helpers.service.app:app_from_env", factory=True, host=args.host, port=args.port,
                workers=workers, log_level="warning", access_log=False)
    return 0


def _validate(args) -> int:
    """``riskbook validate``: every problem, in the chosen language and format; exit 0 valid, 1 some customers
    would be set aside, 2 the source as a whole is unusable."""
    if args.problems and not args.problems.lower().endswith(".xlsx"):
        return _fail(f"--problems {args.problems}: give a file name ending in .xlsx")
    try:
        portfolio = _load(args)
    except SystemExit as exc:
        return int(exc.code)
    except ValidationError as exc:
        problems = list(exc.problems)
        _report_problems(args, problems, header=f"riskbook: the input data fails validation ({args.data}):")
        return 2
    except RiskbookError as exc:
        return _fail(str(exc))
    aside = portfolio.quarantine
    problems = [p for entry in aside.values() for p in entry["problems"]] + list(portfolio.warnings)
    if args.format == "text":
        _say(args, f"{portfolio.source}: {len(portfolio.customer_ids)} customers, "
                   f"{len(portfolio.statements)} statement years — "
                   + (f"valid except {len(aside)} customer(s) a batch sets aside" if aside else "valid")
                   + f"; {len(portfolio.warnings)} warning(s).")
        for cid, entry in aside.items():
            print(f"  set aside: {printable(cid)}", file=sys.stderr)
            for p in entry["problems"]:
                if p.severity == "error":
                    print(f"    {problem_line(p, args.lang)}", file=sys.stderr)
        if args.warnings:
            for w in portfolio.warnings:
                print(f"  {problem_line(w, args.lang)}")
        for lang in LANGUAGES:
            missing = portfolio.policy.untranslated(lang)
            if missing:
                _say(args, f"  policy: no {lang} text for {len(missing)} field(s), needed by --lang {lang}: "
                           f"{', '.join(missing)}")
    _report_problems(args, problems, header=None)
    return 1 if aside else 0


def _report_problems(args, problems: list, *, header: str | None) -> None:
    """The machine-readable forms (--format json/csv on stdout, --problems workbook) and, for a source that
    fails as a whole, its errors as text on stderr."""
    if header is not None and args.format == "text":
        print(header, file=sys.stderr)
        for p in problems:
            if p.severity == "error":
                print(f"  {problem_line(p, args.lang)}", file=sys.stderr)
    if args.format == "json":
        write_problems_json(problems, sys.stdout, args.lang)
        sys.stdout.write("\n")
    elif args.format == "csv":
        write_problems_csv(problems, sys.stdout, args.lang)
    if args.problems:
        path = write_problems_workbook(problems, args.problems, args.lang)
        print(messages(args.lang)("problem.cli.workbook", n=len(problems), path=str(path)), file=sys.stderr)


def _init(args) -> int:
    try:
        files = write_starter(args.folder, args.lang)
    except RiskbookError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write {exc.filename or args.folder}: {exc.strerror or exc}")
    for f in files:
        f.chmod(0o644)  # a data folder to share with colleagues, not a secret
    _say(args, messages(args.lang)("starter.cli.done", files=", ".join(str(f) for f in files),
                                   workbook=shlex.quote(str(files[0]))))
    return 0


def _key(args) -> int:
    try:
        secret = new_key(args.keys, args.name, args.role)
    except RiskbookError as exc:
        return _fail(str(exc))
    print(f"API key for {args.name} ({args.role}), shown once; its SHA-256 is now in {args.keys}:")
    print(secret)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``riskbook`` command; returns the exit code.

    Bad input, arguments and data give a message and exit 2; an unexpected error (a bug) gives one line and
    exit 3, with the Python traceback only under ``--debug``.
    """
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    console = _console_log(args)
    try:
        return _main(args, argv)
    except KeyboardInterrupt:
        print("riskbook: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into a message
        if args.debug:
            traceback.print_exc()
        else:
            print(f"riskbook: unexpected error: {type(exc).__name__}: {exc} (run with --debug for the traceback, "
                  "and please report it)", file=sys.stderr)
        return 3
    finally:
        if console is not None:
            logging.getLogger("riskbook").removeHandler(console)


def _console_log(args) -> logging.Handler | None:
    """With -v, riskbook's log (what ``<out>/batch.log`` gets) also goes to stderr; -vv adds debug records."""
    if not args.verbose:
        return None
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("riskbook: %(message)s"))
    handler.setLevel(logging.DEBUG if args.verbose > 1 else logging.INFO)
    root = logging.getLogger("riskbook")
    root.addHandler(handler)
    if args.verbose > 1:
        root.setLevel(logging.DEBUG)
    return handler


def _say(args, *lines) -> None:
    """Print a summary line on stdout unless -q."""
    if not getattr(args, "quiet", False):
        for line in lines:
            print(line)


def _main(args, argv: list[str]) -> int:
    if args.command == "check-order":
        return _check_order(args)
    if args.command == "serve":
        return _serve(args)
    if args.command == "key":
        return _key(args)
    if args.command == "init":
        return _init(args)
    if getattr(args, "workers", None) is not None and args.workers < 1:
        return _fail("--workers must be at least 1")
    if getattr(args, "timeout", None) is not None and args.timeout <= 0:
        return _fail("--timeout must be a positive number of seconds")
    if args.command == "verify":
        return _verify(args)
    if args.command == "validate":
        return _validate(args)
    try:
        portfolio = _load(args)
    except SystemExit as exc:
        return int(exc.code)
    except ValidationError as exc:
        print(f"riskbook: the input data fails validation ({args.data}):", file=sys.stderr)
        for p in exc.problems:
            if p.severity == "error":
                print(f"  {p}", file=sys.stderr)
        return 2
    except RiskbookError as exc:
        return _fail(str(exc))

    customers = [c.strip() for c in args.customers.split(",") if c.strip()] if args.customers else None
    command = "riskbook " + " ".join(shlex.quote(a) for a in _portable(argv))
    try:
        result = run_batch(portfolio, args.out, customers=customers, workers=args.workers, force=args.force,
                           progress=not (args.no_progress or args.quiet or args.verbose), command=command, model=args.model, lang=args.lang,
                           scheduler=args.scheduler, timeout=args.timeout, order_log=args.log,
                           engine="fresh" if args.fresh_kernels else "warm")
    except KeyError as exc:
        return _fail(str(exc.args[0]))
    except RiskbookError as exc:  # e.g. an untrusted --model artifact, an output folder that cannot be written
        return _fail(str(exc))
    except OSError as exc:  # the disk filled up or the folder went away while the batch wrote
        return _fail(f"cannot write to {exc.filename or args.out}: {exc.strerror or exc}; the reports already "
                     "written are whole, and a re-run completes the rest")
    m = result.model
    if m is not None:
        where = f"; validation report {m.validation_pdf}" if m.validation_pdf else ""
        _say(args, f"model {m.model_version or '(none)'}: {m.status}{where}" + (f" — {m.error}" if m.error else ""))
    counts = {s: sum(r.status == s for r in result.runs) for s in ("ok", "skipped", "failed")}
    _say(args, f"{len(result.runs)} customers: {counts['ok']} ok, {counts['skipped']} skipped (up to date), "
               f"{counts['failed']} failed in {result.seconds:.1f} s. Manifest: {result.manifest}",
         f"Log: {result.manifest.parent / LOG_NAME}")
    for r in result.failed:
        print(f"  FAILED {r.customer_id}: {r.error}", file=sys.stderr)
    return 1 if result.failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
