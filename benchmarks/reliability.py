"""The reliability table of docs/reliability.md: fuzzed bad inputs, hostile files, random
scenarios, formulation mutants, kills, determinism and exit codes, measured on this checkout.

    python3 benchmarks/reliability.py                 # the default counts (a few minutes)
    python3 benchmarks/reliability.py --scenarios 100 --mutations 10 --kills 10

Bad inputs: every mutation kind of tests/fuzz.py applied to the examples and vendor files,
checked with `cpo validate`: never a traceback; bad input exits 1 with every problem located.
Random scenarios: tests/fuzz.py's generator, solved with the multi-vendor objective: optimal
and verified, or infeasible with a diagnosis. Seeds are 0..N-1, so runs are repeatable.
Mutants: tests/test_verify.py's formulations with a family dropped or a term changed, each
solved on a scenario where it matters; verify() must refuse every one.
Kills: `cpo solve --out DIR` killed (SIGKILL) at random moments while it writes DIR, which
holds an earlier output: DIR must be the old or the new complete output every time.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fuzz import MUTATIONS, check_mutant, check_scenario, mutate, random_scenario  # noqa: E402


def bad_inputs(per_kind: int) -> list[tuple]:
    rows = []
    for kind in MUTATIONS:
        counts = collections.Counter()
        failures = []
        for seed in range(per_kind):
            with tempfile.TemporaryDirectory() as work:
                mutant = mutate(kind, seed, Path(work))
                outcome = check_mutant(mutant)
            counts[outcome.status] += 1
            if not outcome.ok:
                failures.append(f"{mutant.description} (seed {seed}): {outcome.status}")
        handled = per_kind - len(failures)
        rows.append((kind, per_kind, counts["rejected, located"], counts["accepted"], handled, failures))
    return rows


def hostile_inputs() -> list[tuple[str, int, float, bool, str]]:
    """(input, exit code, seconds, located, first line of the error) for hostile files and
    values, each through `cpo validate` (or `cpo sweep`) in a subprocess capped at 1 GiB and 60 s."""
    import os
    import resource

    from test_hostile import TINY, billion_laughs

    def tiny_with(text: str) -> str:
        return TINY.replace("name: tiny", text, 1)

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    cases = {
        "alias bomb, 9 levels (2.4 KB, 387M strings expanded)": ("file", "name: x\n" + billion_laughs(9)),
        "alias bomb, 12 levels": ("file", "name: x\n" + billion_laughs(12)),
        "merge key `<<: 5`": ("file", tiny_with("name: tiny\n<<: 5")),
        "tag `!!python/name:os.system`": ("file", tiny_with("name: !!python/name:os.system")),
        "tag `!!int abc`": ("file", tiny_with("name: !!int abc")),
        "5000-digit integer": ("file", TINY.replace("voll: 1000", "voll: " + "9" * 5000)),
        "period written twice (2026 and '2026')": ("file", TINY.replace("demand: 100", "demand: {2026: 100, '2026': 5}")),
        "100,000 nested lists": ("file", "name: " + "[" * 100_000 + "]" * 100_000),
        "20 MiB file": ("file", TINY + "#" * (20 << 20)),
        "a FIFO as the scenario": ("fifo", None),
        "/dev/zero as the scenario": ("path", "/dev/zero"),
        "a grid of 4e9 points": ("grid", None),
        "`--set` value with an alias": ("set", "name=*a"),
        "`--set` demand of 1e300": ("set", "workloads.training.demand=1e300"),
    }
    rows = []
    with tempfile.TemporaryDirectory() as work:
        scenario = Path(work) / "tiny.yaml"
        scenario.write_text(TINY)
        for name, (kind, payload) in cases.items():
            target = Path(work) / "hostile.yaml"
            target.unlink(missing_ok=True)
            args = ["validate", str(target)]
            if kind == "file":
                target.write_text(payload)
            elif kind == "fifo":
                os.mkfifo(target)
            elif kind == "path":
                args = ["validate", payload]
            elif kind == "grid":
                axes = {f"p{i}": {"scale": "catalog.cheap.offers.rent.recurring", "values": list(range(1, 41))}
                        for i in range(6)}
                import yaml

                target.write_text(yaml.safe_dump({"description": "huge", "parameters": axes}))
                args = ["sweep", str(scenario), "--grid", str(target), "--workers", "0"]
            else:
                args = ["validate", str(scenario), "--set", payload]
            started = time.perf_counter()
            try:
                completed = subprocess.run([sys.executable, "-m", "optimizer", *args], capture_output=True, text=True,
                                           timeout=60, preexec_fn=limited, cwd=ROOT,
                                           env={**os.environ, "COLUMNS": "400"})
                code, output = completed.returncode, completed.stderr
            except subprocess.TimeoutExpired:
                code, output = -1, "timed out after 60 s"
            seconds = time.perf_counter() - started
            lines = [line.strip()[2:] for line in output.splitlines() if line.strip().startswith("- ")]
            first = lines[0] if lines else output.strip().splitlines()[-1] if output.strip() else ""
            located = "Traceback" not in output and bool(lines) and (lines[0].startswith((str(target), str(scenario), "--set",
                                                                                          "/dev/zero")))
            rows.append((name, code, seconds, located, first))
    return rows


def random_scenarios(count: int) -> tuple[collections.Counter, list[str]]:
    counts, failures = collections.Counter(), []
    with tempfile.TemporaryDirectory() as work:
        for seed in range(count):
            outcome = check_scenario(random_scenario(seed), Path(work))
            counts[outcome.status] += 1
            if not outcome.ok:
                failures.append(f"seed {seed}: {outcome.status}: {outcome.detail[:200]}")
    return counts, failures


def formulation_mutants() -> list[tuple[str, bool, str]]:
    """(mutant, caught, detail) for each of tests/test_verify.py's mutants."""
    import pytest
    import yaml

    import optimizer as cpo
    from test_verify import MUTANTS

    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name, (build_doc, objective, mutate_formulation) in MUTANTS.items():
            path = Path(work) / "mutant.yaml"
            path.write_text(yaml.safe_dump(build_doc(), sort_keys=False))
            scenario = cpo.load(path)
            with pytest.MonkeyPatch.context() as monkeypatch:
                mutate_formulation(monkeypatch)
                mutant = cpo.solve(scenario, objective=objective, verify=False)
                try:
                    mutant.verify()
                    rows.append((name, False, "verify() accepted it"))
                except cpo.VerificationError as exc:
                    rows.append((name, True, exc.breaches[0]))
    return rows


def kills(count: int) -> tuple[int, list[str]]:
    """Kill a slowed `cpo solve --out` `count` times at random moments while it writes over an
    earlier output; (survived, failures)."""
    import random
    import signal

    from test_outputs import TINY, _start_slow_solve, complete, run, staging_left

    rng, survived, failures = random.Random(0), 0, []
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "run"
        outputs = set()
        for objective in ("cost", "multi-vendor"):
            run("solve", TINY, "--out", out, "--objective", objective)
            outputs.add((out / "result.json").read_bytes())
        for k in range(count):
            process = _start_slow_solve(out, ("cost", "multi-vendor")[k % 2])
            time.sleep(rng.uniform(0, 0.4))
            process.send_signal(signal.SIGKILL)
            process.wait()
            try:
                ok = complete(out)["result.json"] in outputs
            except (AssertionError, OSError, KeyError) as exc:
                ok, why = False, f"{type(exc).__name__}: {exc}"
            else:
                why = "result.json from neither run"
            survived += ok
            if not ok:
                failures.append(f"kill {k}: {why}")
        run("solve", TINY, "--out", out)
        if staging_left(Path(work)):
            failures.append(f"staging left after the next run: {staging_left(Path(work))}")
    return survived, failures


def determinism() -> list[tuple[str, bool]]:
    rows = []
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        with tempfile.TemporaryDirectory() as work:
            outputs = []
            for run in ("a", "b"):
                subprocess.run([sys.executable, "-m", "optimizer", "solve", str(example), "--out",
                                f"{work}/{run}"], check=True, capture_output=True, cwd=ROOT)
                outputs.append((Path(work) / run / "result.json").read_bytes())
            rows.append((example.name, outputs[0] == outputs[1]))
    return rows


EXIT_CASES = [
    (0, "solved", ["solve", "examples/small-lab.yaml"]),
    (1, "bad input", ["solve", "examples/small-lab.yaml", "--set", "discount_rate=abc"]),
    (2, "command-line usage", ["solve", "examples/small-lab.yaml", "--objective", "fastest"]),
    (3, "infeasible, diagnosed", ["solve", "tests/data/infeasible-budget.yaml"]),
    (4, "solver stopped without a plan", ["solve", "examples/openai.yaml", "--time-limit", "0"]),
    (1, "output folder holds the user's files", ["solve", "examples/small-lab.yaml", "--out", "examples"]),
]


def exit_codes() -> list[tuple[int, str, str, int]]:
    rows = []
    for expected, meaning, args in EXIT_CASES:
        code = subprocess.run([sys.executable, "-m", "optimizer", *args], capture_output=True, cwd=ROOT).returncode
        rows.append((expected, meaning, "cpo " + " ".join(args), code))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=20, help="mutants per kind (default 20)")
    parser.add_argument("--scenarios", type=int, default=300, help="random scenarios (default 300)")
    parser.add_argument("--kills", type=int, default=20, help="kills of cpo solve --out while it writes (default 20)")
    args = parser.parse_args()
    started = time.time()
    problems = []

    print(f"## Bad inputs ({args.mutations} per kind, `cpo validate` on a mutated example or vendor file)\n")
    print("| kind | tried | rejected, located (exit 1) | still valid (exit 0) | handled |")
    print("|---|---:|---:|---:|---:|")
    total_tried = total_handled = 0
    for kind, tried, located, accepted, handled, failures in bad_inputs(args.mutations):
        print(f"| {kind} | {tried} | {located} | {accepted} | {handled}/{tried} |")
        total_tried, total_handled = total_tried + tried, total_handled + handled
        problems += failures
    print(f"| **all** | {total_tried} | | | **{total_handled}/{total_tried}** |\n")

    print("## Hostile inputs (`cpo validate` or `cpo sweep` in a subprocess, at most 1 GiB and 60 s)\n")
    print("| input | exit | seconds | located, no traceback | the error |")
    print("|---|---:|---:|---|---|")
    hostile = hostile_inputs()
    for name, code, seconds, located, first in hostile:
        print(f"| {name} | {code} | {seconds:.2f} | {'yes' if located else 'NO'} | {first[:110].replace('|', '/')} |")
        if code != 1 or not located:
            problems.append(f"hostile input {name}: exit {code}, located {located}: {first}")
    print(f"| **all** | | | **{sum(code == 1 and located for _, code, _, located, _ in hostile)}/{len(hostile)}** | |\n")

    counts, failures = random_scenarios(args.scenarios)
    problems += failures
    print(f"## Random valid scenarios ({args.scenarios}, seeds 0-{args.scenarios - 1}, multi-vendor objective)\n")
    print("| outcome | count |")
    print("|---|---:|")
    for status in ("optimal", "infeasible"):
        label = {"optimal": "optimal, plan passed verify()", "infeasible": "infeasible, diagnosis given"}[status]
        print(f"| {label} | {counts[status]} |")
    others = sum(v for k, v in counts.items() if k not in ("optimal", "infeasible"))
    print(f"| failed (error, unverified plan, or no diagnosis) | {others} |\n")

    mutants = formulation_mutants()
    print(f"## Formulation mutants ({len(mutants)}, tests/test_verify.py: a family dropped or a term changed)\n")
    print("| mutant | caught by verify() | first breach |")
    print("|---|---|---|")
    for name, caught, detail in mutants:
        print(f"| {name} | {'yes' if caught else 'NO'} | {detail[:90]} |")
        if not caught:
            problems.append(f"mutant {name}: {detail}")
    print(f"| **all** | **{sum(c for _, c, _ in mutants)}/{len(mutants)}** | |\n")

    survived, failures = kills(args.kills)
    problems += failures
    print(f"## Kills ({args.kills} SIGKILLs of `cpo solve --out DIR` at random moments while it writes over an "
          "earlier output)\n")
    print("| outcome | count |")
    print("|---|---:|")
    print(f"| DIR held the old or the new complete output | {survived} |")
    print(f"| anything else (absent, mixed, half-written) | {args.kills - survived} |\n")

    print("## Determinism (`cpo solve EXAMPLE --out DIR` twice, result.json compared byte for byte)\n")
    print("| example | identical |")
    print("|---|---|")
    for name, same in determinism():
        print(f"| {name} | {'yes' if same else 'NO'} |")
        if not same:
            problems.append(f"{name}: result.json differs between runs")

    print("\n## Exit codes\n")
    print("| code | meaning | command | observed |")
    print("|---:|---|---|---:|")
    for expected, meaning, command, code in exit_codes():
        print(f"| {expected} | {meaning} | `{command}` | {code} |")
        if code != expected:
            problems.append(f"`{command}` exited {code}, expected {expected}")

    print(f"\n{len(problems)} problem(s); {time.time() - started:.0f} s.")
    for line in problems:
        print(f"- {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
