"""cpo's overhead against HiGHS alone, on generated scenarios of growing size.

    python3 benchmarks/run.py                  # small, medium, large; a table, then the ratio line
    python3 benchmarks/run.py --sizes small medium --instances 5 --json

Each scenario goes through the normal config path (a YAML file with an inline catalog, then
`cpo.load` and `cpo.solve`). For each size it times, from Result.seconds: loading and
validation; building the model; handing it to HiGHS (compiling the arrays and opening the
session); HiGHS's run; reading results (plan, reports, verification, freeing the model); and
end to end. Then, in the same process, HiGHS alone reads the MPS of the same model and runs it
with the same options, and must reach the same optimum. Each instance is run --repeats times,
cpo and HiGHS alone in turn, and the fastest run of each counts (a busy moment only ever adds
time). Each size is measured on --instances instances (the same size with prices perturbed by
a seed); times and the ratio are medians over them. The last line is
`ratio end_to_end/highs_alone (large): X.XX` (with --json, the ratio is in the JSON and
nothing else is printed).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

SIZES = {
    # offers, quarterly periods, workloads, failure sets
    "small": (12, 8, 3, 4),
    "medium": (30, 20, 3, 8),
    "large": (60, 40, 4, 30),
}


def scenario(offers: int, periods: int, workloads: int, failures: int, seed: int = 0) -> dict:
    """A synthetic scenario: 4 vendors, `offers` offers (a third owned at one site, the rest
    reserved or on demand), `failures` failure sets by tag, share caps, priced resilience.
    `seed` perturbs prices by up to 5%: same size, another instance."""
    import random

    jitter = random.Random(seed)
    vendors = {}
    names = [f"w{k}" for k in range(workloads)]
    for o in range(offers):
        v = o % 4
        vendor = vendors.setdefault(f"v{v}", {"name": f"vendor {v}", "products": {}, "offers": {}})
        product = f"p{o}"
        vendor["products"][product] = {
            "name": product, "reference": o == 0, "kw_per_unit": {"value": 1.0 + 0.1 * (o % 7), "source": "bench"},
            "throughput": {w: {"value": 0.5 + ((o * 7 + k * 3) % 11) / 4, "source": "bench"} for k, w in enumerate(names)
                           if (o + k) % 5 != 4 or o == 0},
            "tags": {"lot": f"l{o % failures}", "foundry": f"f{o % 3}"}}
        channel = ("buy", "reserved", "on_demand")[o % 3]
        offer = {"product": product, "channel": channel, "provider": "self" if channel == "buy" else f"c{o % 5}",
                 "region": "us", "upfront": {"value": round((20000 + 700 * o) * jitter.uniform(0.95, 1.05))
                                             if channel == "buy" else 0, "source": "bench"},
                 "recurring": {"value": round((3000 + 900 * (o % 13) + (0 if channel != "on_demand" else 30000))
                                              * jitter.uniform(0.95, 1.05)), "source": "bench"},
                 "lead_months": {"value": (0, 3, 6, 12)[o % 4], "source": "bench"},
                 "available": {"from": 2026 + (o % 5) // 2}, "supply_cap": {"value": 20000 + 3000 * (o % 9), "source": "bench"}}
        if channel != "on_demand":
            offer["term_years"] = {"value": (2, 3, 5)[o % 3], "source": "bench"}
        vendor["offers"][f"o{o}"] = offer
    years = periods // 4 + (periods % 4 > 0)
    return {
        "name": f"bench {offers}x{periods}x{workloads}x{failures}",
        "periods": {"start": 2026, "end": 2026 + years - 1, "step": "quarter"},
        "discount_rate": 0.08,
        "catalog": vendors,
        "workloads": {w: {"demand": {2026 + y: 20000 * (1 + y) * (1 + k) for y in range(years)}, "voll": 60000 + 10000 * k}
                      for k, w in enumerate(names)},
        "sites": {"dc": {"power_mw": {2026 + y: 100 + 150 * y for y in range(years)}, "pue": 1.2, "region": "us",
                         "energy_usd_per_mwh": 60, "facility_capex_usd_per_kw": 12000}},
        "policy": {
            "shares": [{"group": "vendor", "measure": "compute", "max": 0.45, "from": 2027}],
            "resilience": {"mode": "priced", "critical_fraction": 0.5,
                           "failures": [{"name": f"lot{k}", "match": {"lot": f"l{k}"}, "delivered": 0.3,
                                         "probability": 0.02} for k in range(failures)]},
            "hhi_weight_usd_per_year": 1e8,
        },
    }


def measure(size: str, seed: int, workdir: Path, repeats: int) -> dict:
    """One instance: cpo end to end, then HiGHS alone on its MPS, `repeats` times in turn;
    the fastest of each (cpo's stages from its fastest run), so that a moment when the machine
    is busy, which only ever adds time, weighs on neither side."""
    path = workdir / f"{size}.yaml"
    path.write_text(yaml.safe_dump(scenario(*SIZES[size], seed=seed), sort_keys=False))
    mps = workdir / f"{size}.mps"
    runs, alone = [], []
    for repeat in range(repeats):
        runs.append(run_cpo(path, mps if repeat == 0 else None))
        alone.append(run_highs_alone(mps, runs[0]["objective"]))
    fastest = min(runs, key=lambda r: r["end_to_end"])
    return {**runs[0], **fastest, "size": size, "highs_alone": min(alone)}


def run_cpo(path: Path, mps: Path | None) -> dict:
    """`cpo.load` and `cpo.solve` on the scenario at `path`, as the library and the command line
    run them, timed by stage (Result.seconds); then, untimed, writes the model to `mps` (if given:
    the model HiGHS solved, as HiGHS writes it)."""
    import gc

    import optimizer as cpo

    gc.collect()  # start from a clean heap, as a fresh process would: not the last run's garbage
    started = time.perf_counter()
    scenario_ = cpo.load(path)
    result = cpo.solve(scenario_, objective="multi-vendor")
    end_to_end = time.perf_counter() - started
    assert result.status == "optimal", result.status
    seconds = result.seconds
    times = {"load": seconds["load"], "build": seconds["build"], "hand_over": seconds["solve"] - seconds["solver"],
             "solve": seconds["solver"], "results": seconds["report"], "end_to_end": end_to_end}
    model = {}
    if mps is not None:
        model = write_model(scenario_, mps)
        # cpo's objective value prices concentration by the exact HHI, the LP by tangent cuts:
        # they agree to about 1e-5, and the LP's own optimum is what HiGHS alone must match
        assert abs(result.objective_value_usd / model["money"] - model["objective"]) <= 1e-3 * abs(model["objective"])
    return {**model, **times}


def write_model(scenario_, mps: Path) -> dict:
    """Build the model again, write it to `mps` as HiGHS holds it, solve it (untimed) for the
    LP optimum that HiGHS alone must reproduce; its sizes."""
    from optimizer.formulation import build
    from optimizer.solver import multi_vendor_objective, open_session

    model = build(scenario_.data, "multi-vendor")
    session = open_session(model, multi_vendor_objective(model))
    session.highs.writeModel(str(mps))
    solution = session.run()
    return {"columns": len(model.columns), "rows": len(model.rows), "nonzeros": int(session.highs.getNumNz()),
            "objective": solution.objective, "money": model.scale.money}


def run_highs_alone(mps: Path, objective: float) -> float:
    """Seconds for HiGHS to read `mps` and solve it with cpo's options; checks its optimum
    against cpo's LP optimum (in the LP's money unit)."""
    import highspy

    from optimizer.solver import quiet_highs

    mark = time.perf_counter()
    alone = quiet_highs()
    alone.readModel(str(mps))
    alone.run()
    seconds = time.perf_counter() - mark
    assert alone.getModelStatus() == highspy.HighsModelStatus.kOptimal
    value = alone.getObjectiveValue()
    assert abs(value - objective) <= 1e-6 * max(1.0, abs(value)), (value, objective)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--instances", type=int, default=3,
                        help="instances per size (seeds 0..N-1, prices perturbed); medians are reported, since "
                             "HiGHS's simplex path, and so its time, changes with the last digits of the data")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each instance, cpo and HiGHS alone in turn; the fastest of each counts")
    parser.add_argument("--json", action="store_true", help="print JSON rows instead of the table")
    parser.add_argument("--plot", type=Path, help="write a PNG: where the time goes, and how it grows with size")
    args = parser.parse_args()
    if args.repeats < 1 or args.instances < 1:
        parser.error("--repeats and --instances need at least 1")
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for size in args.sizes:
            runs = [measure(size, seed, Path(work), args.repeats) for seed in range(args.instances)]
            row = dict(runs[0])
            for key in ("load", "build", "hand_over", "solve", "results", "end_to_end", "highs_alone"):
                row[key] = statistics.median(r[key] for r in runs)
            row["ratio"] = statistics.median(r["end_to_end"] / r["highs_alone"] for r in runs)
            row["ratios"] = [round(r["end_to_end"] / r["highs_alone"], 3) for r in runs]
            rows.append(row)
    if args.json:
        print(json.dumps({"machine": machine(), "rows": rows}, indent=1))
    else:
        print(f"machine: {machine()}")
        header = ("size", "columns", "rows", "nonzeros", "load", "build", "hand_over", "solve", "results",
                  "end_to_end", "highs_alone", "ratio")
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            cells = [row["size"], f"{row['columns']:,}", f"{row['rows']:,}", f"{row['nonzeros']:,}"]
            cells += [f"{row[k]:.3f}" for k in header[4:-1]] + [f"{row['ratio']:.2f}"]
            print("| " + " | ".join(cells) + " |")
    if args.plot:
        plot(rows, args.plot)
    for row in rows:
        if row["size"] == "large" and not args.json:
            print(f"ratio end_to_end/highs_alone (large): {row['ratio']:.2f}")
    return 0


STAGES = ("load", "build", "hand_over", "solve", "results")


def plot(rows: list[dict], target: Path) -> None:
    """Left: each stage's share of cpo's end-to-end time, per size, with HiGHS alone on the same
    scale. Right: end-to-end and HiGHS-alone seconds against nonzeros."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8))
    positions = list(range(len(rows)))
    bottom = [0.0] * len(rows)
    for stage in STAGES:
        heights = [row[stage] / row["end_to_end"] for row in rows]
        left.bar(positions, heights, 0.5, bottom=bottom, label=stage)
        bottom = [b + h for b, h in zip(bottom, heights)]
    left.scatter(positions, [row["highs_alone"] / row["end_to_end"] for row in rows], marker="_", s=900,
                 color="black", zorder=3, label="HiGHS alone")
    left.set_xticks(positions, [f"{r['size']}\n{r['columns']:,} cols" for r in rows])
    left.set_ylabel("share of cpo's end-to-end time")
    left.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    left.set_ylim(0, 1.1)
    left.set_title("Where the time goes")
    nonzeros = [row["nonzeros"] for row in rows]
    right.loglog(nonzeros, [row["end_to_end"] for row in rows], "o-", label="cpo end to end")
    right.loglog(nonzeros, [row["highs_alone"] for row in rows], "s--", color="black", label="HiGHS alone")
    for row in rows:
        right.annotate(f"{row['ratio']:.2f}x", (row["nonzeros"], row["end_to_end"]), textcoords="offset points",
                       xytext=(5, 5), fontsize=8)
    right.set_xlabel("nonzeros")
    right.set_ylabel("seconds")
    right.legend(fontsize=8)
    right.set_title("Growth with size (ratio annotated)")
    figure.tight_layout()
    figure.savefig(target, dpi=120)


def machine() -> str:
    import os

    from optimizer.solver import quiet_highs

    h = quiet_highs()
    version = f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, HiGHS {version}")


if __name__ == "__main__":
    sys.exit(main())
