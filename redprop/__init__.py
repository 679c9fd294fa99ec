"""redprop: case tracking for red property management (红色物业) offices."""

__version__ = "0.1.0"
