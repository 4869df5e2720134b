"""Sweep throughput on a local Dask cluster: the same 100-point sweep on 1 and on 2 workers.

    python3 benchmarks/sweep.py      # ends with: rate 2 workers / 1 worker: X.XX

For each worker count, a local cluster is started and waited for (as `dask scheduler` +
`dask worker` would be), then the sweep runs on it through the normal path
(`optimizer.sweeps.run_sweep`, what `cpo sweep --scheduler` runs) on
examples/grids/openai-100.yaml. The rate is points per second on the running cluster; the
wall time with cluster start-up (what `cpo sweep --workers N` takes) is shown beside it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    from distributed import Client, LocalCluster

    from optimizer.sweeps import read_grid, run_sweep

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", default=str(ROOT / "examples" / "grids" / "openai-100.yaml"))
    parser.add_argument("--scenario", default=str(ROOT / "examples" / "openai.yaml"))
    args = parser.parse_args()
    grid = read_grid(args.grid)
    rates = {}
    print("| workers | points | optimal | cluster start (s) | sweep (s) | points/s |")
    print("|---:|---:|---:|---:|---:|---:|")
    for workers in (1, 2):
        started = time.perf_counter()
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            with Client(cluster) as client:
                client.wait_for_workers(workers)
            ready = time.perf_counter()
            rows = run_sweep(args.scenario, grid, scheduler=cluster.scheduler_address)
            done = time.perf_counter()
        rates[workers] = len(rows) / (done - ready)
        solved = sum(r["status"] == "optimal" for r in rows)
        print(f"| {workers} | {len(rows)} | {solved} | {ready - started:.1f} | {done - ready:.1f} | {rates[workers]:.2f} |")
    print(f"rate 2 workers / 1 worker: {rates[2] / rates[1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
