"""A rate as every report carries it: its counts, the share, and what was counted, in words.

`{"numerator": 29, "denominator": 41, "rate": 0.7073, "definition": "…"}`: a share means little
without its counts and its definition (an English msgid the presentation says in the worker's
language). The share is None when nothing was counted.

Figures of several units (the communities of a street) add up by their counts: a rate of the
whole is the sum of the numerators over the sum of the denominators (`summed`), never an
average of the shares — a community of 4 issues must not weigh as much as one of 400.
"""

from itertools import chain


def shaped_rate(numerator: int, denominator: int, definition: str) -> dict:
    return {"numerator": numerator, "denominator": denominator,
            "rate": round(numerator / denominator, 4) if denominator else None, "definition": definition}


def is_rate(value) -> bool:
    return isinstance(value, dict) and "denominator" in value and "numerator" in value


UNADDABLE = ("median_", "average_")  # a median of medians is not the median of the whole: left out (None)


def summed(figures: list[dict]) -> dict:
    """Figures of the same shape (a report's `problems`, `care`, `orders`…) of several units as
    the whole's: counts added; each rate's numerator and denominator added and its share worked
    out again; a median or an average None; lists (the provisional years) joined; a flag true
    when any unit's is; nested figures summed alike."""
    result = {}
    for key, value in figures[0].items():
        values = [f.get(key) for f in figures]
        if key.startswith(UNADDABLE):
            result[key] = None
        elif is_rate(value):
            result[key] = shaped_rate(sum(v["numerator"] for v in values), sum(v["denominator"] for v in values),
                                      value["definition"])
        elif isinstance(value, dict):
            result[key] = summed(values)
        elif isinstance(value, bool):
            result[key] = any(values)
        elif isinstance(value, int):
            result[key] = sum(values)
        elif isinstance(value, list):
            result[key] = sorted(set(chain.from_iterable(values)))
        else:
            result[key] = value if all(v == value for v in values) else None
    return result
