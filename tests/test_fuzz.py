"""Fuzzing (hypothesis): random valid scenarios always solve to a verified plan or a diagnosed
infeasibility; random mutations of the examples never crash and are always located.

CI runs the `ci` profile (a few dozen cases); `HYPOTHESIS_PROFILE=thorough python3 -m pytest
tests/test_fuzz.py` runs hundreds, and `python3 benchmarks/reliability.py` prints the table in
docs/reliability.md."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz import MUTATIONS, check_mutant, check_scenario, mutate, random_scenario

settings.register_profile("ci", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("thorough", max_examples=400, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@given(seed=st.integers(0, 2**31 - 1))
def test_random_valid_scenarios_solve_and_verify_or_are_diagnosed(tmp_path_factory, seed):
    outcome = check_scenario(random_scenario(seed), tmp_path_factory.mktemp("fuzz"))
    assert outcome.ok, f"seed {seed}: {outcome.status}: {outcome.detail}"


@given(kind=st.sampled_from(MUTATIONS), seed=st.integers(0, 2**31 - 1))
def test_mutated_examples_are_rejected_with_a_location_never_a_traceback(tmp_path_factory, kind, seed):
    mutant = mutate(kind, seed, tmp_path_factory.mktemp("mutant"))
    outcome = check_mutant(mutant)
    assert outcome.ok, f"{mutant.description} (seed {seed}): {outcome.status}: {outcome.detail}"
