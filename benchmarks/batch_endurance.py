"""A long night: a batch of thousands of generated customers, its memory sampled all the way through.

What it shows
-------------
1. **Nothing is lost:** the manifest has one entry per input customer, and how many are ``ok``,
   ``skipped`` (finished by an earlier, interrupted run of the same folder) and ``failed``.
2. **Memory stays flat:** the resident memory (RSS) of the whole process tree (the ``riskbook batch``
   process and the kernel of its model step, its worker processes and their kernels) is sampled every ``--every`` seconds. The baseline
   is measured in the same run: the peaks of the first worker pool (its first ``workers ×
   batch.worker_max_customers`` customers). Each later pool's peaks are printed against it; flat means
   no later pool's worker peak exceeds the first one's by more than ``--tolerance`` (default 15 %).
   A worker process keeps about 2 MB of every report WeasyPrint renders (see README, "Batch"), so
   within one pool a worker grows; the policy's ``batch.worker_max_customers`` bounds that growth.
3. **Speed:** reports per minute over the run, and each customer's stage times from the manifest
   (median and 95th percentile).

Run
---
``python benchmarks/batch_endurance.py --customers 2000 --workers 2 --out /tmp/endurance``

The data is made with ``scripts/make_sample_data.py --customers N`` (deterministic; the first 60 are
the committed sample's) into ``<out>/data`` with the sample policy, unless ``--data`` names a folder.
The batch fits its scorecard on the data's outcome history, as ``make demo`` does. A run that is
stopped can be started again with the same arguments: the batch skips the customers it finished (they
count as ``skipped``), which is itself the resume path the issue asks for. ``--run-only K`` runs only
the first K customers (the model is still fitted on all) and ``--worker-max-customers N`` sets the
generated policy's pool share: ``--customers 60 --run-only 4 --worker-max-customers 1 --every 1`` is a
one-minute check of the benchmark itself (two pools).
At about 10 CPU-seconds a report (four notebooks and WeasyPrint), 2,000 customers take some
2.5 hours on 2 cores. Missed targets are reported, not raised: this is a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def make_data(folder: Path, customers: int, worker_max_customers: int | None) -> Path:
    """The generated portfolio (``scripts/make_sample_data.py``) with the sample policy, once; the policy's
    ``batch.worker_max_customers`` set to ``worker_max_customers`` when given."""
    if (folder / "customers.csv").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    policy = (ROOT / "data" / "sample" / "policy.yaml").read_text(encoding="utf-8")
    if worker_max_customers is not None:
        assert policy.count("worker_max_customers: 100\n") == 1, "the sample policy's batch section changed"
        policy = policy.replace("worker_max_customers: 100\n", f"worker_max_customers: {worker_max_customers}\n")
    (folder / "policy.yaml").write_text(policy, encoding="utf-8")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_sample_data.py"), "--customers", str(customers),
                    "--out", str(folder)], check=True)
    return folder


class Sampler(threading.Thread):
    """Every ``every`` seconds: the RSS in MB of ``root`` and each of its descendants, by role."""

    def __init__(self, root: psutil.Process, every: float, log: Path):
        super().__init__(daemon=True)
        self.root, self.every, self.log = root, every, log
        self.samples: list[dict] = []
        self.done = threading.Event()

    def run(self):
        with open(self.log, "a", encoding="utf-8") as fh:
            while not self.done.is_set() and self.root.is_running():
                sample = {"t": time.time(), "batch": 0.0, "workers": {}, "kernels": {}, "batch_kernel": {}}
                try:
                    procs = [self.root] + self.root.children(recursive=True)
                except psutil.Error:
                    break
                for p in procs:
                    try:
                        mb = p.memory_info().rss / 2**20
                        cmd = " ".join(p.cmdline())
                    except psutil.Error:
                        continue
                    if p.pid == self.root.pid:
                        sample["batch"] = mb
                    elif "ipykernel" in cmd:  # a worker's kernel; the model step's own kernel is the batch's child
                        sample["kernels" if p.ppid() != self.root.pid else "batch_kernel"][p.pid] = mb
                    elif mb > 50:  # a worker process (multiprocessing's resource tracker is a few MB)
                        sample["workers"][p.pid] = mb
                sample["tree"] = sample["batch"] + sum(mb for role in ("workers", "kernels", "batch_kernel")
                                                       for mb in sample[role].values())
                self.samples.append(sample)
                fh.write(json.dumps(sample) + "\n")
                fh.flush()
                self.done.wait(self.every)


def pools(samples: list[dict], workers: int) -> list[dict]:
    """The samples' worker and kernel processes grouped by pool: process ids in the order they first
    appear, ``workers`` at a time (a pool starts its workers, and each its kernel, together). Per pool: the
    peak RSS of one worker, of one kernel, of the whole tree while the pool's workers lived, and when."""
    def chunks(role):
        first = {}
        for s in samples:
            for pid in s[role]:
                first.setdefault(pid, s["t"])
        order = sorted(first, key=first.get)
        return [set(order[i:i + workers]) for i in range(0, len(order), workers)]

    out = []
    for wk, kn in zip(chunks("workers"), chunks("kernels") + [set()] * len(samples)):
        alive = [s for s in samples if wk & set(s["workers"])]
        out.append({"start": alive[0]["t"], "end": alive[-1]["t"],
                    "worker": max(mb for s in alive for pid, mb in s["workers"].items() if pid in wk),
                    "kernel": max([mb for s in samples for pid, mb in s["kernels"].items() if pid in kn] or [0.0]),
                    "tree": max(s["tree"] for s in alive)})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=2000, help="customers to generate (default 2000)")
    ap.add_argument("--data", default=None, help="an existing data folder instead of generated data")
    ap.add_argument("--out", required=True, help="working folder: <out>/data (generated), <out>/reports")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--as-of", default="2026-09-30")
    ap.add_argument("--every", type=float, default=30.0, help="seconds between memory samples (default 30)")
    ap.add_argument("--tolerance", type=float, default=0.15, help="allowed growth of a later pool's peak")
    ap.add_argument("--run-only", type=int, default=None, metavar="K", help="run only the first K customers")
    ap.add_argument("--worker-max-customers", type=int, default=None, metavar="N",
                    help="for generated data: the policy's batch.worker_max_customers (default: the sample's, 100)")
    args = ap.parse_args(argv)

    out = Path(args.out)
    data = Path(args.data) if args.data else make_data(out / "data", args.customers, args.worker_max_customers)
    reports = out / "reports"
    ids = [line.split(",", 1)[0] for line in (data / "customers.csv").read_text(encoding="utf-8").splitlines()[1:]
           if line.strip()]
    wanted = ids[:args.run_only] if args.run_only else ids
    cmd = [str(BIN / "riskbook"), "batch", "--data", str(data), "--out", str(reports), "--workers",
           str(args.workers), "--no-progress", "--as-of", args.as_of]
    if args.run_only:
        cmd += ["--customers", ",".join(wanted)]
    print(f"batch of {len(wanted)} customer(s) ({len(ids)} in the data), {args.workers} worker(s): {' '.join(cmd)}")
    started = time.time()
    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = Sampler(proc, args.every, out / "memory.jsonl")
    sampler.start()
    printed = proc.communicate()[0]
    sampler.done.set()
    sampler.join()
    wall = time.time() - started
    print(printed.rstrip())

    manifest = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    customers = manifest["customers"]
    statuses = {s: sum(c["status"] == s for c in customers) for s in ("ok", "skipped", "failed")}
    ran = statuses["ok"] + statuses["failed"]
    print(f"\nmanifest: {len(customers)} entries for {len(wanted)} input customers "
          f"({'equal' if len(customers) == len(wanted) else 'MISSING ENTRIES'}); {statuses}; status "
          f"{manifest.get('status')}; executor {manifest.get('execution')}")
    print(f"wall {wall / 60:.1f} min for {ran} customer(s) run: {ran / (wall / 60):.1f} reports per minute")
    timings = [c.get("timings") or {} for c in customers if c["status"] == "ok" and c.get("timings")]
    for stage in ("financial_analysis", "credit_scoring", "scenario_cases", "monitoring", "render",
                  "worker_peak_mb", "kernel_peak_mb"):
        values = sorted(t[stage] for t in timings if isinstance(t.get(stage), (int, float)))
        if values:
            print(f"  {stage:20s} median {statistics.median(values):8.2f}  p95 {values[int(0.95 * (len(values) - 1))]:8.2f}"
                  f"  max {values[-1]:8.2f}")

    share = (manifest.get("execution") or {}).get("worker_max_customers")
    journal = [json.loads(line) for line in (reports / "manifest.journal").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    run_now = [e for e in journal if e["status"] in ("ok", "failed")][-ran:] if ran else []
    if share and run_now:
        size = args.workers * share
        print(f"\nworker peak per customer (the batch's own figure, MB), by pool of {size} customers in the order "
              "they finished:")
        for i in range(0, len(run_now), size):
            peaks = [e["timings"]["worker_peak_mb"] for e in run_now[i:i + size]
                     if (e.get("timings") or {}).get("worker_peak_mb")]
            if peaks:
                print(f"  customers {i + 1:5d}-{i + len(peaks):<5d} first {peaks[0]:7.0f}  last {peaks[-1]:7.0f}  "
                      f"max {max(peaks):7.0f}")

    groups = pools(sampler.samples, args.workers)
    if not groups:
        print("no memory samples of a worker (the batch ended before the first one)")
        return 0
    base = groups[0]["worker"]
    print(f"\nmemory by worker pool, sampled every {args.every:.0f} s ({len(sampler.samples)} samples; RSS peaks in MB; "
          "baseline: pool 1 of this run):")
    print(f"  {'pool':>4} {'minutes':>11} {'worker':>8} {'kernel':>8} {'tree':>8}   worker / pool 1")
    worst = 0.0
    for i, g in enumerate(groups, 1):
        ratio = g["worker"] / base
        worst = max(worst, ratio)
        print(f"  {i:4d} {(g['start'] - started) / 60:5.0f}-{(g['end'] - started) / 60:<5.0f} {g['worker']:8.0f} "
              f"{g['kernel']:8.0f} {g['tree']:8.0f}   {ratio:6.2f}")
    verdict = "flat" if worst <= 1 + args.tolerance else "NOT FLAT"
    print(f"memory {verdict}: the highest pool's worker peak is {worst:.2f} x pool 1's (allowed {1 + args.tolerance:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
