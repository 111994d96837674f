"""The significance tests of kpiComparison against published values (t and normal tables)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph_service.products.statistics import (
    normal_two_sided_p,
    regularized_incomplete_beta,
    t_two_sided_p,
    two_proportion_z_test,
    welch_t_test,
)


@pytest.mark.parametrize(
    ("t", "df", "p"),
    [
        # Two-sided critical values of Student's t (any t table): P(|T| ≥ t) = p.
        (12.706204736174707, 1, 0.05),
        (4.302652729749464, 2, 0.05),
        (2.228138851986274, 10, 0.05),
        (3.169272672616950, 10, 0.01),
        (2.015048372669157, 5, 0.10),
        (1.962339080826408, 1000, 0.05),
        (1.959963984540054, 1e9, 0.05),  # the normal
    ],
)
def test_the_t_tail_matches_the_tables(t: float, df: float, p: float) -> None:
    assert t_two_sided_p(t, df) == pytest.approx(p, rel=1e-9)


def test_the_t_tail_of_one_and_two_degrees_has_its_closed_form() -> None:
    # df = 1 is Cauchy: p = 1 − 2 atan(t)/π; df = 2: p = 1 − t / sqrt(2 + t²).
    for t in (0.1, 0.7, 3.0, 40.0):
        assert t_two_sided_p(t, 1) == pytest.approx(1 - 2 * math.atan(t) / math.pi, rel=1e-10)
        assert t_two_sided_p(t, 2) == pytest.approx(1 - t / math.sqrt(2 + t * t), rel=1e-10)


@given(st.floats(0.01, 50), st.floats(0.01, 50), st.floats(0.001, 0.999))
def test_the_incomplete_beta_is_symmetric(a: float, b: float, x: float) -> None:
    assert regularized_incomplete_beta(a, b, x) == pytest.approx(
        1 - regularized_incomplete_beta(b, a, 1 - x), abs=1e-9
    )


@given(st.floats(0.05, 20), st.floats(0.0, 1.0))
def test_the_incomplete_beta_has_its_closed_forms(a: float, x: float) -> None:
    # I_x(a, 1) = x^a and I_x(1, b) = 1 − (1 − x)^b.
    assert regularized_incomplete_beta(a, 1.0, x) == pytest.approx(x**a, rel=1e-9, abs=1e-12)
    assert regularized_incomplete_beta(1.0, a, x) == pytest.approx(1 - (1 - x) ** a, rel=1e-9, abs=1e-12)


def test_the_normal_tail() -> None:
    assert normal_two_sided_p(1.959963984540054) == pytest.approx(0.05, rel=1e-12)
    assert normal_two_sided_p(-2.5758293035489) == pytest.approx(0.01, rel=1e-10)
    assert normal_two_sided_p(0) == 1


def test_welch_by_hand() -> None:
    # before 1, 2, 3 (mean 2, s² 1), after 2, 4, 6, 8 (mean 5, s² 20/3):
    # se² = 1/3 + 5/3 = 2, t = 3 / √2; df = 4 / ((1/3)²/2 + (5/3)²/3) = 4 / (1/18 + 25/27) = 216/53.
    result = welch_t_test([1, 2, 3], [2, 4, 6, 8])
    assert result.statistic == pytest.approx(3 / math.sqrt(2))
    assert result.degrees_of_freedom == pytest.approx(float(Fraction(216, 53)))
    assert result.p_value == pytest.approx(t_two_sided_p(3 / math.sqrt(2), 216 / 53))
    assert (result.mean_before, result.mean_after, result.note) == (2, 5, None)


def test_welch_needs_two_values_and_variation() -> None:
    assert (
        welch_t_test([1.0], [1.0, 2.0]).note
        == "not enough data: each period needs at least 2 values; got 1 and 2"
    )
    flat = welch_t_test([0.8, 240 / 300, 264 / 330], [288 / 360, 0.8])  # equal up to rounding
    assert flat.p_value is None and "do not vary" in (flat.note or "")


def test_two_proportions_by_hand() -> None:
    # 30 of 100 against 45 of 100: pooled 0.375, z = 0.15 / sqrt(0.375 × 0.625 × 0.02) = 2.19089.
    result = two_proportion_z_test(30, 100, 45, 100)
    z = 0.15 / math.sqrt(0.375 * 0.625 * 0.02)
    assert result.statistic == pytest.approx(z)
    assert result.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))  # 0.02846
    assert result.degrees_of_freedom is None


def test_two_proportions_need_enough_expected_counts() -> None:
    # pooled 3/200: 100 × 0.015 = 1.5 expected successes per period, fewer than 5.
    result = two_proportion_z_test(1, 100, 2, 100)
    assert result.p_value is None and "1.5" in (result.note or "")
    assert two_proportion_z_test(0, 0, 5, 10).note == "not enough data: a period has no trials"
