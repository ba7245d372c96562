"""Small figures of lists of measurements."""

import math


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile, nearest rank over the sorted values (0 → the least, 100 → the
    largest); NaN for no values, so an empty measurement cannot pass for a fast one."""
    data = sorted(values)
    if not data:
        return math.nan
    if not 0 <= p <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {p}")
    return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))]
