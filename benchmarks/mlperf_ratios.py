"""Inference throughput against the H100 SXM, from MLCommons' own MLPerf Inference v5.1 table.

    python3 benchmarks/mlperf_ratios.py [SUMMARY.json]

Reads `mlperf-inference-v5.1-summary.json` (MLCommons' summary_results.json of
github.com/mlcommons/inference_results_v5.1, commit 965182b0; default: ../shared/data/ beside
the repository) and prints, for the LLM benchmarks Llama 2 70B, Llama 3.1 405B and DeepSeek-R1:

1. each accelerator's best closed-division, available-system result per benchmark, scenario and
   precision, as tokens/s per accelerator = Performance_Result / (a# x Nodes) (a# counts the
   accelerators of one node; a 72-GPU NVL72 result is 4 x 18), and its ratio to the H100 SXM's
   on the same benchmark and scenario (DeepSeek-R1, which no H100 ran, against the GB200);
2. the inference throughput θ the catalog (vendors/*.yaml) takes from them: the geometric mean
   of the Llama 2 70B Offline and Server ratios (the one benchmark every measured part ran),
   with the range the table spans;
3. the open-division results for parts with no closed result (AMD MI355X);
4. the anchor rule vendors/README.md uses for parts with no result: a measured anchor's θ x
   sqrt(FP8 ratio x memory ratio), memory = HBM bandwidth x the share of an 8-accelerator group's
   HBM left for KV cache after one 70 GB replica (Llama 2 70B at FP8), from the catalog's specs;
   for a measured part the measured θ over the rule is its stack factor.

Every inference figure in vendors/*.yaml that says `mlperf` or `anchor rule` cites this output.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "mlperf-inference-v5.1-summary.json"
BENCHMARKS = ("llama2-70b-99", "llama3.1-405b", "deepseek-r1")
SCENARIOS = ("Offline", "Server")
REFERENCE = "NVIDIA H100-SXM-80GB"
REPLICA_GB = 70.0
"""Weights of one Llama 2 70B replica at FP8, the GB held per 8-accelerator group in the rule."""
ANCHORS = {"h200": "h100", "b200": "h100", "gb200": "h100", "gb300": "h100", "mi300x": "h100", "mi325x": "h100",
           "mi355x": "mi325x", "mi450": "mi355x", "rubin": "gb300", "trn2": "h100", "trn3": "h100",
           "trn4": "h100", "tpu-v6e": "h100", "tpu7x": "h100"}
"""Product -> the measured part its anchor-rule figure scales (same vendor stack where one was
measured; the H100 otherwise)."""
DEEPSEEK_REFERENCE = "NVIDIA GB200"
PRODUCTS = {
    "NVIDIA H100-SXM-80GB": "h100", "NVIDIA H200-SXM-141GB": "h200", "NVIDIA B200-SXM-180GB": "b200",
    "NVIDIA GB200": "gb200", "NVIDIA GB300": "gb300", "AMD Instinct MI300X 192GB HBM3": "mi300x",
    "AMD Instinct MI325X 256GB HBM3e": "mi325x", "AMD Instinct MI355X 288GB HBM3e": "mi355x",
}
"""MLPerf's accelerator names -> catalog product ids (mixed-accelerator systems are left out)."""


def per_accelerator(rows: list[dict], category: str = "closed") -> dict[tuple, tuple[float, str]]:
    """(product, benchmark, scenario, precision) -> (best tokens/s per accelerator, submitter),
    over the available systems of `category`."""
    best: dict[tuple, tuple[float, str]] = {}
    for row in rows:
        product = PRODUCTS.get(row["Accelerator"])
        if (product is None or row["Model"] not in BENCHMARKS or row["Scenario"] not in SCENARIOS
                or row["Category"] != category or row["Availability"] != "available"):
            continue
        key = (product, row["Model"], row["Scenario"], row["weight_data_types"].lower())
        rate = row["Performance_Result"] / (row["a#"] * row["Nodes"])
        if rate > best.get(key, (0.0, ""))[0]:
            best[key] = (rate, row["Submitter"])
    return best


def ratios(rows: list[dict], category: str = "closed") -> dict[tuple, float]:
    """(product, benchmark, scenario, precision) -> tokens/s per accelerator over the reference's
    best on the same benchmark and scenario (the H100's; the GB200's for DeepSeek-R1)."""
    best = per_accelerator(rows, category)
    reference = {(b, s): rate for (p, b, s, _), (rate, _) in per_accelerator(rows).items()
                 if p == PRODUCTS[DEEPSEEK_REFERENCE if b == "deepseek-r1" else REFERENCE]}
    return {key: rate / reference[key[1:3]] for key, (rate, _) in best.items() if key[1:3] in reference}


def theta(table: dict[tuple, float], product: str) -> tuple[float, float, float] | None:
    """(base, low, high): the geometric mean of the product's Llama 2 70B Offline and Server
    ratios at its best precision, and the min and max of its ratios against the H100."""
    mine = {k: v for k, v in table.items() if k[0] == product and k[1] != "deepseek-r1"}
    llama2 = [max(v for k, v in mine.items() if k[1:3] == ("llama2-70b-99", s)) for s in SCENARIOS
              if any(k[1:3] == ("llama2-70b-99", s) for k in mine)]
    if len(llama2) != 2:
        return None
    return math.sqrt(llama2[0] * llama2[1]), min(mine.values()), max(mine.values())


def theta_from_405b(table: dict[tuple, float], product: str, anchor: str = "gb200") -> float | None:
    """For a part with no Llama 2 70B result: `anchor`'s θ x the geometric mean of the part's
    Llama 3.1 405B Offline and Server ratios to the anchor's."""
    found = theta(table, anchor)
    pairs = [(table.get((product, "llama3.1-405b", s, "fp4")), table.get((anchor, "llama3.1-405b", s, "fp4")))
             for s in SCENARIOS]
    if found is None or not all(a and b for a, b in pairs):
        return None
    return found[0] * math.sqrt(math.prod(a / b for a, b in pairs))


def memory_term(specs: dict) -> float:
    """HBM TB/s x the share of 8 accelerators' HBM left after one REPLICA_GB replica."""
    return specs["hbm_tb_s"] * (1 - REPLICA_GB / (8 * specs["hbm_gb"]))


def anchor_rule(specs: dict, anchor_specs: dict) -> float:
    """sqrt(FP8 dense ratio x memory ratio) of a part against its anchor."""
    return math.sqrt(specs["fp8_dense_tflops"] / anchor_specs["fp8_dense_tflops"]
                     * memory_term(specs) / memory_term(anchor_specs))


def print_anchor_rule() -> None:
    """Section 4, from the catalog's specs and inference figures (vendors/*.yaml)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from optimizer.catalog import load_catalog

    products = {pid: product for vendor in load_catalog().values() for pid, product in vendor.products.items()}
    specs = {pid: {k: f.value for k, f in p.specs.items()} for pid, p in products.items()}
    print("\nanchor rule: θ(anchor) x sqrt(FP8 ratio x memory ratio); measured θ / that = stack factor")
    for pid, anchor in ANCHORS.items():
        base = products[anchor].throughput["inference"].value
        estimate = base * anchor_rule(specs[pid], specs[anchor])
        measured = products[pid].throughput["inference"]
        factor = f"  catalog {measured.value:.2f} = x {measured.value / estimate:.2f}" if measured.value else ""
        print(f"{pid:8} anchor {anchor:7} ({base:.2f}) rule {anchor_rule(specs[pid], specs[anchor]):.3f} "
              f"-> {estimate:.2f}{factor}")


def main(path: Path) -> None:
    rows = json.loads(path.read_text())
    best = per_accelerator(rows)
    table = ratios(rows)
    print(f"MLPerf Inference v5.1, closed division, available systems ({path.name}); "
          "tokens/s per accelerator = Performance_Result / (a# x Nodes)")
    print(f"{'product':8} {'benchmark':14} {'scenario':8} {'prec':5} {'tok/s/acc':>10} {'ratio':>6}  submitter")
    for key in sorted(table, key=lambda k: (k[1], k[2], k[0], k[3])):
        rate, submitter = best[key]
        against = "GB200" if key[1] == "deepseek-r1" else "H100"
        print(f"{key[0]:8} {key[1]:14} {key[2]:8} {key[3]:5} {rate:10.1f} {table[key]:6.2f}  {submitter} (vs {against})")
    print("\ninference θ (H100e): geometric mean of Llama 2 70B Offline and Server; range over the table")
    for product in dict.fromkeys(k[0] for k in table):
        found = theta(table, product)
        if found:
            base, low, high = found
            print(f"{product:8} base {base:.2f}  low {low:.2f}  high {high:.2f}")
    print(f"gb300    base {theta_from_405b(table, 'gb300'):.2f}  (no Llama 2 70B result: GB200's θ x its "
          "Llama 3.1 405B ratios to GB200)")
    print("\nopen division, parts with no closed result:")
    closed = {k[0] for k in table}
    for key, value in sorted(ratios(rows, "open").items()):
        if key[0] not in closed:
            print(f"{key[0]:8} {key[1]:14} {key[2]:8} {key[3]:5} ratio {value:.2f}")
    print_anchor_rule()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
