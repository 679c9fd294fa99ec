"""A rate as every report carries it: its counts, the share, and what was counted, in words.

`{"numerator": 29, "denominator": 41, "rate": 0.7073, "definition": "…"}`: a share means little
without its counts and its definition (an English msgid the presentation says in the worker's
language). The share is None when nothing was counted.
"""


def shaped_rate(numerator: int, denominator: int, definition: str) -> dict:
    return {"numerator": numerator, "denominator": denominator,
            "rate": round(numerator / denominator, 4) if denominator else None, "definition": definition}
