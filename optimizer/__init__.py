"""cpo: compute-procurement portfolio optimizer.

    import optimizer as cpo
    scenario = cpo.load("examples/openai.yaml")
    result = cpo.solve(scenario)            # objective: multi-vendor (default), cost, max-share, hhi
    result.total_cost_usd, result.plan, result.shares, result.prices
    result.verify()
    cpo.compare(scenario, ["examples/whatif/amd-mi450-slip.yaml"])   # DataFrame, base first
    cpo.frontier(scenario), cpo.leverage(scenario)                    # DataFrames
    cpo.evaluate(scenario, result_or_plan_csv, whatifs)                # a held plan, per scenario
    risks = cpo.read_scenarios("examples/scenarios/openai-risks.yaml", scenario)
    plan = cpo.solve(scenario, scenarios=risks)                        # the stochastic plan: EVPI, VSS
    cpo.out_of_sample(scenario, {"sp": plan_csv}, risks, sample=1000)  # its first stage in fresh draws
    cpo.alternatives(scenario, slack=0.01, by="vendor")                # near-optimal share ranges

Names are imported on first use, so `cpo --help` does not load pydantic, PuLP or HiGHS.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "load": "api", "solve": "api", "Scenario": "api", "compare": "comparison", "sweep": "sweeps",
    "frontier": "strategy", "leverage": "strategy", "evaluate": "evaluation", "out_of_sample": "evaluation",
    "alternatives": "near_optimal", "read_scenarios": "scenarios",
    "ConfigError": "errors", "CpoError": "errors", "InfeasibleError": "errors", "SolverError": "errors", "UsageError": "errors",
    "VerificationError": "errors", "OutputError": "errors", "Problem": "errors", "Location": "errors",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
