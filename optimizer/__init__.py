"""cpo: compute-procurement portfolio optimizer.

    import optimizer as cpo
    scenario = cpo.load("examples/openai.yaml")
    result = cpo.solve(scenario)            # objective: multi-vendor (default), cost, max-share, hhi
    result.total_cost_usd, result.plan, result.shares, result.prices
    result.verify()
"""

from .api import Scenario, load, solve
from .errors import ConfigError, CpoError, InfeasibleError, SolverError, VerificationError

__version__ = "0.1.0"

__all__ = ["load", "solve", "Scenario", "ConfigError", "CpoError", "InfeasibleError", "SolverError",
           "VerificationError", "__version__"]
