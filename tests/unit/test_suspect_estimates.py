"""Precision/recall beside the suspects threshold (backend/api/services/suspect_estimates.py)."""

from __future__ import annotations

import pytest

from backend.api.services.suspect_estimates import BENCH_CURVE, MIN_DECISIONS, benchmark_at, estimate


def test_the_benchmark_curve_is_read_at_the_passing_share() -> None:
    shares = [s for s, _, _ in BENCH_CURVE]
    assert shares == sorted(shares) and len(shares) >= 5
    recalls = [benchmark_at(s / 100)[1] for s in range(101)]
    assert recalls == sorted(recalls)  # deeper never finds fewer
    for share, precision, recall in BENCH_CURVE:
        assert benchmark_at(share) == pytest.approx((precision, recall))
    (s0, p0, r0), (s1, p1, r1) = BENCH_CURVE[1], BENCH_CURVE[2]
    assert benchmark_at((s0 + s1) / 2) == pytest.approx(((p0 + p1) / 2, (r0 + r1) / 2))
    assert benchmark_at(1.0) == benchmark_at(2.0) == pytest.approx((0.05, 1.0))  # all pass: the noise rate, all found


def test_reviews_replace_the_benchmark_once_there_are_enough_on_each_side() -> None:
    few = [True] * (MIN_DECISIONS - 1)
    assert estimate(0, 0, [], []) is None
    bench = estimate(1000, 50, few, few)
    assert bench is not None and (bench.precision_source, bench.recall_source) == ("benchmark", "benchmark")
    assert (bench.precision, bench.recall) == pytest.approx(benchmark_at(0.05))

    above = [True] * 6 + [False] * 4  # 60% of the reviewed passing suspects were mislabels
    half = estimate(1000, 50, above, few)
    assert half is not None and (half.precision_source, half.recall_source) == ("reviews", "benchmark")
    assert half.precision == pytest.approx(0.6) and half.recall == pytest.approx(benchmark_at(0.05)[1])

    below = [True] + [False] * 9  # 10% below: 95 more errors among the 950 that do not pass
    full = estimate(1000, 50, above, below)
    assert full is not None and (full.precision_source, full.recall_source) == ("reviews", "reviews")
    assert full.recall == pytest.approx(30 / (30 + 95))
    none_found = estimate(1000, 50, [False] * 5, [False] * 5)
    assert none_found is not None and none_found.precision == 0 and none_found.recall == 1.0
