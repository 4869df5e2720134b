"""Errors users can catch. Each carries what the user needs to fix the problem."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where a value came from: a file and line, or a command-line override."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Problem:
    """One located config problem: `FILE:LINE: path.to.field: found X, expected Y`."""

    location: Location | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        field = f"{self.path}: " if self.path else ""
        return f"{where}{field}{self.message}"


class CpoError(Exception):
    """Base class of every error cpo raises on purpose."""


class ConfigError(CpoError):
    """Bad input: a config, what-if or override. `problems` lists every located error."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InfeasibleError(CpoError):
    """The model has no feasible plan. `diagnosis` lists, as sentences, which config fields to
    move and by how much; `details` is the structured Diagnosis (see diagnose.py)."""

    def __init__(self, message: str, diagnosis: list[str] | None = None, details=None):
        self.diagnosis = list(diagnosis or [])
        self.details = details
        super().__init__(message)


class SolverError(CpoError):
    """The solver failed, or stopped without a usable plan."""


class UsageError(CpoError, ValueError):
    """A library call's argument is not one cpo takes (an unknown objective or solver, say).
    Also a ValueError, as Python's own bad-argument error is."""


class OutputError(CpoError, OSError):
    """cpo refused to write an output path: it holds something cpo did not write. Nothing was
    changed. Also an OSError, so callers that handle file errors handle it (the CLI: exit 1)."""


class VerificationError(CpoError):
    """A returned plan breaks a constraint when re-checked from the scenario data."""

    def __init__(self, breaches: list[str]):
        self.breaches = list(breaches)
        super().__init__("plan fails verification:\n" + "\n".join(self.breaches))
