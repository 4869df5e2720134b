"""Decisions under uncertainty, measured: the stochastic plan against HiGHS alone on its
exported deterministic equivalent, the out-of-sample check on 1 and 2 workers, and near-optimal
alternatives against one solve.

    python3 benchmarks/stochastic.py                     # all three (about 5 minutes)
    python3 benchmarks/stochastic.py --parts plan --draws 200

plan: `cpo.solve(openai, scenarios=openai-draws.yaml)` (50 scenarios: 5 named risks, 45 draws)
end to end (loading, building, the SP solve with WS and EEV beside it, reporting and verifying
50 results), its peak resident memory; then, in the same process, HiGHS alone reads the
equivalent `cpo export --scenarios` writes and runs it with cpo's options, and must reach the
same optimum. Ratio = cpo's end to end / HiGHS alone's read and run.

out-of-sample: the stochastic plan's first stage held in --draws fresh draws
(`evaluation.out_of_sample`, what `cpo evaluate --scenarios --sample` runs) on a local Dask
cluster of 1, then 2 workers; rate = draws per second, cluster start-up included.

alternatives: `cpo.alternatives(openai, slack=0.01, by="vendor")` (a min and a max per vendor,
warm re-solves on two HiGHS sessions) against one `cpo.solve` of the same scenario, each the fastest of 5.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "examples" / "openai.yaml"
SCENARIOS = ROOT / "examples" / "scenarios" / "openai-draws.yaml"


def bench_plan(base, scenario_set) -> dict:
    import highspy

    import optimizer
    from optimizer.export import export_stochastic
    from optimizer.solver import HIGHS_OPTIONS

    result = optimizer.solve(base, scenarios=scenario_set)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "equivalent.mps"
        rows, columns, scale = export_stochastic(base, scenario_set, file)
        started = time.perf_counter()
        highs = highspy.Highs()
        for option, value in HIGHS_OPTIONS.items():
            highs.setOptionValue(option, value)
        highs.readModel(str(file))
        highs.run()
        alone = time.perf_counter() - started
    optimum = highs.getInfo().objective_function_value * scale.money
    if abs(optimum - result.summary["objective_usd"]) > 1e-6 * abs(optimum):
        raise SystemExit(f"HiGHS alone reached {optimum:.9g}, cpo {result.summary['objective_usd']:.9g}")
    return {"scenarios": len(scenario_set.scenarios), "columns": columns, "rows": rows, **result.seconds,
            "highs_alone": alone, "ratio": result.seconds["total"] / alone, "peak_mb": peak_mb,
            "sp_usd": result.summary["objective_usd"], "first_stage": result.first_stage}


def bench_out_of_sample(base, scenario_set, first_stage: list[dict], draws: int) -> dict:
    from optimizer.commitments import Commitments
    from optimizer.data import FrozenDict
    from optimizer.evaluation import out_of_sample

    held = Commitments(FrozenDict({(r["offer"], r["period"]): r["acquired_units"] for r in first_stage
                                   if r["acquired_units"] > 0}), None, "the stochastic plan")
    figures = {}
    for workers in (1, 2):
        started = time.perf_counter()
        result = out_of_sample(base, {"stochastic": held}, scenario_set, sample=draws, workers=workers)
        seconds = time.perf_counter() - started
        figures[workers] = {"seconds": seconds, "rate": draws / seconds, "mean_usd": result.summary[0]["mean_usd"],
                            "solved": result.summary[0]["solved"]}
    return {"draws": draws, "workers": figures, "speedup": figures[2]["rate"] / figures[1]["rate"]}


def bench_alternatives(base) -> dict:
    import optimizer

    def fastest(run, repeats: int = 5) -> float:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        return min(times)

    one = fastest(lambda: optimizer.solve(base))
    ranges = fastest(lambda: optimizer.alternatives(base, slack=0.01, by="vendor"))
    return {"one_solve": one, "alternatives": ranges, "ratio": ranges / one}


def main() -> int:
    import optimizer
    from optimizer.scenarios import read_scenarios

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["plan", "out-of-sample", "alternatives"],
                        choices=["plan", "out-of-sample", "alternatives"])
    parser.add_argument("--draws", type=int, default=1000, help="Fresh draws of the out-of-sample check.")
    args = parser.parse_args()
    base = optimizer.load(CONFIG)
    scenario_set = read_scenarios(SCENARIOS, base)
    first_stage = None
    if "plan" in args.parts or "out-of-sample" in args.parts:
        plan = bench_plan(base, scenario_set)
        first_stage = plan["first_stage"]
        print("| scenarios | columns | rows | load | build | solve (SP; WS, EEV beside) | report | end to end "
              "| HiGHS alone | ratio | peak memory |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(f"| {plan['scenarios']} | {plan['columns']:,} | {plan['rows']:,} | {plan['load']:.1f} s | "
              f"{plan['build']:.1f} s | {plan['solve']:.1f} s | {plan['report']:.1f} s | {plan['total']:.1f} s | "
              f"{plan['highs_alone']:.1f} s | {plan['ratio']:.2f} | {plan['peak_mb']:,.0f} MB |")
        print(f"ratio end_to_end/highs_alone (stochastic, {plan['scenarios']} scenarios): {plan['ratio']:.2f}")
    if "out-of-sample" in args.parts:
        oos = bench_out_of_sample(base, scenario_set, first_stage, args.draws)
        print("\n| workers | draws | solved | wall time (cluster start included) | draws/s | mean cost |")
        print("|---:|---:|---:|---:|---:|---:|")
        for workers, row in oos["workers"].items():
            print(f"| {workers} | {oos['draws']} | {row['solved']} | {row['seconds']:.1f} s | {row['rate']:.1f} | "
                  f"${row['mean_usd'] / 1e9:,.2f}B |")
        print(f"rate 2 workers / 1 worker (out of sample, {oos['draws']} draws): {oos['speedup']:.2f}")
    if "alternatives" in args.parts:
        alt = bench_alternatives(base)
        print(f"\nalternatives by vendor {alt['alternatives']:.2f} s, one solve {alt['one_solve']:.2f} s")
        print(f"ratio alternatives/one solve: {alt['ratio']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
