"""The p-chart limits and the run bookkeeping of the quality stream's rules, by hand."""

from __future__ import annotations

import pytest

from graph_service.streams.processors import spc


def test_limits_of_a_subgroup_are_three_sigma_of_a_binomial_share() -> None:
    # p̄ = 0.1, n = 100: σ = √(0.1 × 0.9 / 100) = √0.0009 = 0.03; UCL = 0.1 + 0.09 = 0.19, LCL = 0.01.
    limits = spc.p_chart_limits(0.1, 100)
    assert limits is not None
    assert limits.sigma == pytest.approx(0.03, abs=1e-12)
    assert limits.upper == pytest.approx(0.19, abs=1e-12)
    assert limits.lower == pytest.approx(0.01, abs=1e-12)


def test_the_lower_limit_stops_at_zero() -> None:
    # p̄ = 0.02, n = 100: σ = √(0.02 × 0.98 / 100) = 0.014; p̄ − 3σ = −0.022 → 0; UCL = 0.062.
    limits = spc.p_chart_limits(0.02, 100)
    assert limits is not None
    assert limits.lower == 0.0
    assert limits.upper == pytest.approx(0.062, abs=1e-12)


@pytest.mark.parametrize(("centre", "n"), [(0.0, 100), (1.0, 100), (0.02, 0)])
def test_no_limits_when_they_would_say_nothing(centre: float, n: float) -> None:
    assert spc.p_chart_limits(centre, n) is None


def test_a_point_beyond_either_limit_breaks_rule_1_and_one_on_a_limit_does_not() -> None:
    limits = spc.Limits(centre=0.1, sigma=0.03, lower=0.01, upper=0.19)
    assert spc.beyond_limits(0.2, limits)
    assert spc.beyond_limits(0.005, limits)
    assert not spc.beyond_limits(0.19, limits)
    assert not spc.beyond_limits(0.01, limits)


def test_runs_count_points_on_one_side_and_restart_on_a_crossing_or_the_line() -> None:
    run = 0
    seen = []
    for p in [0.03, 0.04, 0.05, 0.01, 0.00, 0.02, 0.03]:  # centre 0.02
        run = spc.next_run(run, spc.side(p, 0.02))
        seen.append(run)
    assert seen == [1, 2, 3, -1, -2, 0, 1]
