"""`import cpo`: the same package as `import optimizer` (the command is `cpo`, so is the import)."""

import sys

import optimizer

sys.modules[__name__] = optimizer
