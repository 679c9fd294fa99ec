"""redprop: case tracking for red property management (红色物业) offices."""

from redprop.store import hooks as _hooks

__version__ = "0.1.0"

# The modules that tell the store about their tables (store/hooks.py), imported by the store when
# the change log or undo needs what they register, whichever command runs: not at every start.
_hooks.registrants("redprop.households", "redprop.groups", "redprop.visits", "redprop.issues.records",
                    "redprop.issues.figures")
