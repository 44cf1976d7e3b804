"""Item analysis for trainers: which questions most people miss, which do not discriminate, how reliable a quiz is.

The formulas are those of Moodle's quiz statistics report, so a trainer who knows Moodle reads the same figures.
Per item, over the attempts that contain it (x = item mark, T = attempt total, O = T - x, (co)variances / (n-1)):
facility = mean(x) / max mark; sd = sqrt(var x); discrimination index = 100 cov(x,O) / sqrt(var x var O);
discriminative efficiency = 100 cov(x,O) / cov(sorted x, sorted O); effective weight = share of
sqrt(cov(x,T)) among the items whose cov(x,T) >= 0. Whole test: Cronbach's alpha (cic, x100), error ratio,
standard error, skewness and kurtosis from the unbiased cumulants.

Everything is vectorised over the long table (one row per attempt x item); an undefined figure (one attempt, no
variance, an item worth zero marks) is NaN, shown as "n/a" by `format_stat`, never a division error.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd

from modules.core.item_sums import ScopeSums

TOO_HARD_BELOW = 0.20
TOO_EASY_ABOVE = 0.95
MIN_DISCRIMINATIVE_EFFICIENCY = 15.0  # percent, Moodle's own threshold
CIC_SATISFACTORY = 75.0
CIC_UNSATISFACTORY = 64.0

MARK_COLUMNS = ("attempt_id", "question_id", "mark", "max_mark")
ITEM_COLUMNS = (
    "s", "max_mark", "facility", "sd", "mark_variance", "other_mark_variance", "covariance",
    "covariance_max", "covariance_with_total", "discrimination_index", "discriminative_efficiency",
    "effective_weight",
)


class ItemFlag(str, Enum):
    TOO_HARD = "too hard"
    TOO_EASY = "too easy"
    DOES_NOT_DISCRIMINATE = "does not discriminate"
    UNPICKED_DISTRACTOR = "distractor nobody picks"


HINTS = {
    ItemFlag.TOO_HARD: "Most people miss this: check the lesson covers it and the key is right.",
    ItemFlag.TOO_EASY: "Nearly everyone gets this right: it tells you little; make it harder or drop it.",
    ItemFlag.DOES_NOT_DISCRIMINATE: (
        "Strong and weak trainees score alike here: reword it, and if the figure is negative check the key first."
    ),
    ItemFlag.UNPICKED_DISTRACTOR: "Nobody picks {options}: replace with a mistake trainees really make.",
}


@dataclass(frozen=True)
class QuizStatistics:
    """Whole-test figures in marks (cic, error ratio as percentages); NaN where undefined."""

    n: int
    items: int
    average: float
    median: float
    sd: float
    skewness: float
    kurtosis: float
    cic: float
    error_ratio: float
    standard_error: float

    @property
    def reliability(self) -> str:
        """Moodle's reading of cic: above 75 satisfactory, below 64 unsatisfactory."""
        if math.isnan(self.cic):
            return "n/a"
        if self.cic > CIC_SATISFACTORY:
            return "satisfactory"
        if self.cic < CIC_UNSATISFACTORY:
            return "unsatisfactory"
        return "borderline"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"reliability": self.reliability}


def format_stat(value: Any, decimals: int = 2) -> str:
    """A figure for display: "n/a" when undefined (None, NaN, pd.NA, infinite)."""
    if value is None or value is pd.NA:
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "n/a"
    return f"{number:.{decimals}f}"


def item_statistics(marks: pd.DataFrame, totals: pd.Series | None = None) -> pd.DataFrame:
    """One row per question_id (the index) with Moodle's per-item figures; facility is a 0..1 fraction.

    `marks` has one row per attempt x item (attempt_id, question_id, mark, max_mark); rows without a mark
    (not graded yet) are left out. `totals` (indexed by attempt_id) overrides the attempt total T, for records
    whose total is stored apart from the listed marks; by default T is the sum of the attempt's marks.
    """
    _require(marks, MARK_COLUMNS)
    marks = marks[marks["mark"].notna()]
    codes, questions = pd.factorize(marks["question_id"], sort=True)
    index = pd.Index(questions, name="question_id")
    if len(marks) == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in ITEM_COLUMNS}, index=index)
    k = len(questions)
    x = marks["mark"].to_numpy(dtype=float)
    t = _attempt_totals(marks["attempt_id"], x, totals)
    o = t - x

    n = np.bincount(codes, minlength=k).astype(float)
    dof = n - 1
    mean_x = np.bincount(codes, weights=x, minlength=k) / n
    mean_o = np.bincount(codes, weights=o, minlength=k) / n
    mean_t = np.bincount(codes, weights=t, minlength=k) / n
    dx, do, dt = x - mean_x[codes], o - mean_o[codes], t - mean_t[codes]

    def group_cov(u: np.ndarray, v: np.ndarray, g: np.ndarray = codes) -> np.ndarray:
        return _div(np.bincount(g, weights=u * v, minlength=k), dof)

    # Exact range checks: a constant item has variance exactly 0, not rounding noise that would make a
    # discrimination figure out of nothing.
    x_const, o_const, t_const = (_is_constant(codes, v, k) for v in (x, o, t))
    max_mark = np.full(k, -np.inf)
    np.maximum.at(max_mark, codes, marks["max_mark"].to_numpy(dtype=float))
    # Sorting x and O separately within each item pairs them as the largest covariance possible.
    sorted_codes = np.repeat(np.arange(k), n.astype(np.int64))
    x_sorted, o_sorted = _sorted_within(codes, x), _sorted_within(codes, o)

    var_x = np.where(x_const, 0.0, group_cov(dx, dx))
    var_o = np.where(o_const, 0.0, group_cov(do, do))
    flat = x_const | o_const
    cov = np.where(flat, 0.0, group_cov(dx, do))
    cov_max = np.where(
        flat, 0.0, group_cov(x_sorted - mean_x[sorted_codes], o_sorted - mean_o[sorted_codes], sorted_codes)
    )
    cov_t = np.where(x_const | t_const, 0.0, group_cov(dx, dt))
    return _item_frame(index, n, max_mark, mean_x, var_x, var_o, cov, cov_max, cov_t)


def _item_frame(index: pd.Index, n: np.ndarray, max_mark: np.ndarray, mean_x: np.ndarray, var_x: np.ndarray,
                var_o: np.ndarray, cov: np.ndarray, cov_max: np.ndarray, cov_t: np.ndarray) -> pd.DataFrame:
    """Moodle's per-item figures from each item's count, mean mark and (co)variances, however they were summed."""
    single = n < 2  # a single attempt has no (co)variance at all
    var_x, var_o, cov, cov_max, cov_t = (np.where(single, np.nan, a) for a in (var_x, var_o, cov, cov_max, cov_t))
    with np.errstate(invalid="ignore"):
        spread = np.sqrt(var_x * var_o)
        # A covariance of exactly 0 summed two ways comes out as +/-1e-17: noise, not a negative weight.
        flat_t = np.abs(cov_t) <= 1e-9 * np.maximum(1.0, np.abs(max_mark)) ** 2
        root_cov_t = np.sqrt(np.where(flat_t, 0.0, np.where(cov_t >= 0, cov_t, np.nan)))
    return pd.DataFrame(
        {
            "s": n.astype(np.int64),
            "max_mark": max_mark,
            "facility": _div(mean_x, max_mark),
            "sd": np.sqrt(var_x),
            "mark_variance": var_x,
            "other_mark_variance": var_o,
            "covariance": cov,
            "covariance_max": cov_max,
            "covariance_with_total": cov_t,
            # A correlation: within [-100, 100] by definition; clipped so rounding on near-zero variances
            # (a mark of 1e-160 beside zeros) cannot print 100.03.
            "discrimination_index": np.clip(100 * _div(cov, spread), -100, 100),
            "discriminative_efficiency": 100 * _div(cov, cov_max),
            "effective_weight": 100 * _div(root_cov_t, np.full(len(n), np.nansum(root_cov_t))),
        },
        index=index,
    )


def test_statistics(
    marks: pd.DataFrame, totals: pd.Series | None = None, *, item_column: str = "question_id"
) -> QuizStatistics:
    """Whole-test statistics over the attempts in `marks` (same shape as for `item_statistics`).

    `item_column` names what counts as one of the p items in Cronbach's alpha: the question for a fixed quiz,
    the position ("slot") when each attempt draws its questions from a bank, as Moodle does for random slots.
    """
    _require(marks, (*MARK_COLUMNS, item_column))
    marks = marks[marks["mark"].notna()]
    x = marks["mark"].to_numpy(dtype=float)
    attempt_codes, attempts = pd.factorize(marks["attempt_id"])
    if totals is None:
        t = np.bincount(attempt_codes, weights=x, minlength=len(attempts))
    else:
        t = _lookup_totals(totals, attempts)
    n = len(t)
    nan = float("nan")
    if n == 0:
        return QuizStatistics(0, 0, nan, nan, nan, nan, nan, nan, nan, nan)

    deviation = t - t.mean()
    if np.all(t == t[0]):
        deviation = np.zeros_like(t)
    m2, m3, m4 = (float((deviation**power).mean()) for power in (2, 3, 4))
    item_codes, item_names = pd.factorize(marks[item_column])
    p = len(item_names)
    sum_of_variances = float(np.nansum(_group_variance(item_codes, x, p)))
    return _quiz_figures(n, p, float(t.mean()), float(np.median(t)), m2, m3, m4, sum_of_variances)


def _quiz_figures(n: int, p: int, mean: float, median: float, m2: float, m3: float, m4: float,
                  sum_of_variances: float) -> QuizStatistics:
    """Whole-test figures from the totals' central moments and the items' summed variances (Moodle's formulas:
    unbiased cumulants k2..k4, Cronbach's alpha over p items)."""
    nan = float("nan")
    k2 = _scalar_div(n * m2, n - 1)
    k3 = _scalar_div(n * n * m3, (n - 1) * (n - 2))
    k4 = _scalar_div(n * n * ((n + 1) * m4 - 3 * (n - 1) * m2 * m2), (n - 1) * (n - 2) * (n - 3))
    sd = math.sqrt(k2) if k2 >= 0 else nan
    cic = 100 * _scalar_div(p, p - 1) * (1 - _scalar_div(sum_of_variances, k2))
    error_ratio = 100 * math.sqrt(1 - cic / 100) if cic <= 100 else nan
    return QuizStatistics(
        n=n,
        items=p,
        average=mean,
        median=median,
        sd=sd,
        skewness=_scalar_div(k3, k2**1.5 if k2 > 0 else 0.0),
        kurtosis=_scalar_div(k4, k2 * k2 if k2 > 0 else 0.0),
        cic=cic,
        error_ratio=error_ratio,
        standard_error=error_ratio * sd / 100,
    )


# pytest would otherwise collect this function wherever a test module imports it by name.
test_statistics.__test__ = False  # type: ignore[attr-defined]


def flag_items(stats: pd.DataFrame, options: pd.DataFrame | None = None) -> pd.DataFrame:
    """`stats` (from `item_statistics`) plus `flags` (comma-separated ItemFlag values, "" if none) and `hint`.

    `options` (from `team.option_frequencies`: question_id, option, unpicked_distractor, ...) adds the
    unpicked-distractor flag. An undefined figure raises no flag: "n/a" is not evidence of a bad question.
    """
    raised = {
        ItemFlag.TOO_HARD: (stats["facility"] < TOO_HARD_BELOW).to_numpy(),
        ItemFlag.TOO_EASY: (stats["facility"] > TOO_EASY_ABOVE).to_numpy(),
        ItemFlag.DOES_NOT_DISCRIMINATE: (
            stats["discriminative_efficiency"] < MIN_DISCRIMINATIVE_EFFICIENCY
        ).to_numpy(),
    }
    unpicked = pd.Series("", index=stats.index, dtype=object)
    if options is not None and len(options):
        names = options.loc[options["unpicked_distractor"].astype(bool)].groupby("question_id")["option"]
        unpicked = names.agg(lambda o: ", ".join(f'"{text}"' for text in o)).reindex(stats.index, fill_value="")
    raised[ItemFlag.UNPICKED_DISTRACTOR] = (unpicked != "").to_numpy()

    flags = pd.Series("", index=stats.index, dtype=object)
    hints = pd.Series("", index=stats.index, dtype=object)
    for flag, mask in raised.items():  # four flags, each applied to every item at once
        text = HINTS[flag]
        hint = unpicked.map(lambda o, text=text: text.format(options=o)) if "{options}" in text else text
        flags = flags.where(~mask, flags + np.where(flags == "", "", ", ") + flag.value)
        hints = hints.where(~mask, hints + np.where(hints == "", "", " ") + hint)
    return stats.assign(flags=flags, hint=hints)


def responses_to_marks(responses: pd.DataFrame, *, slots: bool = False) -> pd.DataFrame:
    """The store's responses (attempt_id, question_id, score 0..1) as marks, one mark per item.

    With `slots`, adds `slot`: the question's position within its attempt (the `position` column, else the
    row order), the unit of Cronbach's alpha for quizzes that draw their questions from a bank.
    """
    _require(responses, ("attempt_id", "question_id", "score"))
    marks = pd.DataFrame(
        {
            "attempt_id": responses["attempt_id"].array,
            "question_id": responses["question_id"].array,
            "mark": responses["score"].to_numpy(dtype=float),
            "max_mark": 1.0,
        }
    )
    if slots:
        if "position" in responses.columns:
            marks["slot"] = responses["position"].to_numpy()
        else:
            marks["slot"] = responses.groupby("attempt_id", sort=False).cumcount().to_numpy() + 1
    return marks


def quiz_statistics(responses: pd.DataFrame) -> QuizStatistics:
    """Whole-test statistics from the store's responses of one quiz (first or all attempts: filter first)."""
    marks = responses_to_marks(responses, slots=True)
    attempts = marks["attempt_id"].nunique()
    complete = len(marks) == attempts * marks["question_id"].nunique()
    return test_statistics(marks, item_column="question_id" if complete else "slot")


def item_statistics_from_sums(sums: ScopeSums) -> pd.DataFrame:
    """`item_statistics` from the running sums of a quiz (modules.core.item_sums): the same figures, read from a
    few numbers per item instead of every response. Variances come from the sums of squares; a constant x, O or T
    (one distinct value) is exactly 0 as in `item_statistics`; the largest possible covariance pairs the sorted
    distributions of x and O."""
    items = [sums.items[q] for q in sorted(sums.items)]
    index = pd.Index([i.question_id for i in items], name="question_id")
    if not items:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in ITEM_COLUMNS}, index=index)
    n = np.array([i.n for i in items], dtype=float)
    sum_x, sum_o = np.array([i.sum_x for i in items]), np.array([i.sum_o for i in items])
    # Sums of cross-deviations as (n Σuv - Σu Σv) / n: exact whenever the marks and their products are, so two
    # deviations that cancel give 0 here as they do over every response (Σuv - Σu Σv / n rounds twice).
    s_xx = (n * np.array([i.sum_x2 for i in items]) - sum_x * sum_x) / n
    s_oo = (n * np.array([i.sum_o2 for i in items]) - sum_o * sum_o) / n
    s_xo = (n * np.array([i.sum_xo for i in items]) - sum_x * sum_o) / n
    s_max = (n * np.array([_sorted_pairs_sum(i.x_values, i.o_values) for i in items]) - sum_x * sum_o) / n
    x_const, o_const, t_const = (np.array([len(getattr(i, values)) == 1 for i in items])
                                 for values in ("x_values", "o_values", "t_values"))
    dof = n - 1
    var_x = np.where(x_const, 0.0, _div(s_xx, dof))
    var_o = np.where(o_const, 0.0, _div(s_oo, dof))
    flat = x_const | o_const
    cov = np.where(flat, 0.0, _div(s_xo, dof))
    cov_max = np.where(flat, 0.0, _div(s_max, dof))
    cov_t = np.where(x_const | t_const, 0.0, _div(s_xx + s_xo, dof))
    max_mark = np.array([i.max_mark for i in items])
    return _item_frame(index, n, max_mark, sum_x / n, var_x, var_o, cov, cov_max, cov_t)


def test_statistics_from_sums(sums: ScopeSums) -> QuizStatistics:
    """`quiz_statistics` from the running sums: moments and median from how often each total occurred; Cronbach's
    alpha over the questions when every attempt has every question, else over the positions (slots)."""
    nan = float("nan")
    values = sorted(sums.totals)
    counts = np.array([sums.totals[v] for v in values], dtype=float)
    t = np.array(values, dtype=float)
    n = int(counts.sum())
    if n == 0:
        return QuizStatistics(0, 0, nan, nan, nan, nan, nan, nan, nan, nan)
    mean = float((t * counts).sum() / n)
    deviation = np.zeros_like(t) if len(t) == 1 else t - mean
    m2, m3, m4 = (float((counts * deviation**power).sum() / n) for power in (2, 3, 4))
    complete = sum(i.n for i in sums.items.values()) == n * len(sums.items)
    units = ([(i.n, i.sum_x, i.sum_x2, len(i.x_values) == 1) for i in sums.items.values()] if complete
             else [(slot[0], slot[1], slot[2], False) for slot in sums.slots.values()])
    variances = [nan if count < 2 else 0.0 if constant else max(0.0, (count * sx2 - sx * sx) / count / (count - 1))
                 for count, sx, sx2, constant in units]
    return _quiz_figures(n, len(units), mean, _median(t, counts), m2, m3, m4, float(np.nansum(variances)))


test_statistics_from_sums.__test__ = False  # type: ignore[attr-defined]


def _sorted_pairs_sum(xs: Counter[float], os: Counter[float]) -> float:
    """Σ x_(i) O_(i) with both sorted ascending, from how often each value occurred (runs, not elements)."""
    x_runs, o_runs = sorted(xs.items()), sorted(os.items())
    total, i, j = 0.0, 0, 0
    x_left, o_left = (x_runs[0][1] if x_runs else 0), (o_runs[0][1] if o_runs else 0)
    while i < len(x_runs) and j < len(o_runs):
        step = min(x_left, o_left)
        total += step * x_runs[i][0] * o_runs[j][0]
        x_left, o_left = x_left - step, o_left - step
        if x_left == 0:
            i += 1
            x_left = x_runs[i][1] if i < len(x_runs) else 0
        if o_left == 0:
            j += 1
            o_left = o_runs[j][1] if j < len(o_runs) else 0
    return total


def _median(values: np.ndarray, counts: np.ndarray) -> float:
    """The median of `values` each repeated `counts` times (sorted ascending)."""
    n = int(counts.sum())
    cumulative = np.cumsum(counts)
    low = values[np.searchsorted(cumulative, (n - 1) // 2, side="right")]
    high = values[np.searchsorted(cumulative, n // 2, side="right")]
    return float((low + high) / 2)


def _attempt_totals(attempt_ids: pd.Series, x: np.ndarray, totals: pd.Series | None) -> np.ndarray:
    codes, attempts = pd.factorize(attempt_ids)
    if totals is None:
        per_attempt = np.bincount(codes, weights=x, minlength=len(attempts))
    else:
        per_attempt = _lookup_totals(totals, attempts)
    return per_attempt[codes]


def _lookup_totals(totals: pd.Series, attempts: pd.Index) -> np.ndarray:
    values = totals.reindex(attempts).to_numpy(dtype=float)
    if np.isnan(values).any():
        missing = list(attempts[np.isnan(values)][:5])
        raise ValueError(f"totals has no value for attempts {missing}")
    return values


def _group_variance(codes: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    n = np.bincount(codes, minlength=k)
    deviation = values - _div(np.bincount(codes, weights=values, minlength=k), n)[codes]
    variance = _div(np.bincount(codes, weights=deviation * deviation, minlength=k), n - 1)
    result: np.ndarray = np.where(_is_constant(codes, values, k) & (n > 1), 0.0, variance)
    return result


def _is_constant(codes: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    high, low = np.full(k, -np.inf), np.full(k, np.inf)
    np.maximum.at(high, codes, values)
    np.minimum.at(low, codes, values)
    same: np.ndarray = high == low
    return same


def _sorted_within(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`values` sorted within each group, groups in code order.

    Sorts one integer key (group, rank of value) instead of a lexsort of two keys: several times faster.
    """
    rank, uniques = pd.factorize(values, sort=True)  # hashing: cheaper than np.unique's argsort
    uniques = np.asarray(uniques, dtype=float)
    keys = codes.astype(np.int64) * len(uniques) + rank
    keys.sort()
    result: np.ndarray = uniques[keys % len(uniques)]
    return result


def _div(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN wherever the denominator is 0 or undefined: no warning, no error."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    ok = np.isfinite(denominator) & (denominator != 0)
    result: np.ndarray = np.divide(numerator, denominator,
                                   out=np.full(np.broadcast(numerator, denominator).shape, np.nan), where=ok)
    return result


def _scalar_div(numerator: float, denominator: float) -> float:
    if denominator == 0 or not math.isfinite(denominator) or not math.isfinite(numerator):
        return float("nan")
    return numerator / denominator


def _require(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"missing columns: {', '.join(missing)}")
