"""The words of the offline model's answers for each statistic of `asset_statistics` (its
result's fractions as percentages, ratios to two decimals): the phrase of one value, the summary
given when a question names none, and how names are put in order by a measure."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from agents.offline.intent.bars import Bar
from agents.offline.intent.rankings import Ends
from prompts.canonical import TOOL_SIGNIFICANT_DIGITS
from services.windows import MAX_CALENDAR_MONTHS, MAX_EXTREME_DAYS, SESSIONS_PER
from settings import patterns

__all__ = [
    "HIGHER_IS_BETTER",
    "LOWER_IS_BETTER",
    "PHRASES",
    "RANKED_BY",
    "SUMMARY",
    "bar_line",
    "beside_index_bar_line",
    "beside_pivot",
    "drawdown_phrase",
    "held_bar_line",
    "judged_line",
    "pct",
    "picked_line",
    "told_apart",
    "years_phrase",
    "years_ranked",
]


def pct(value: float | None, decimals: int = 1) -> str:
    """A fraction as a percentage with `decimals` decimals ("n/a" when unknown)."""
    return "n/a" if value is None else f"{value:.{decimals}%}"


def drawdown_phrase(stats: dict[str, Any]) -> str:
    """The deepest drawdown of a result entry (`max_drawdown`): depth, peak, trough, recovery."""
    drawdown = stats["max_drawdown"]
    if not drawdown["depth"]:
        return "no drawdown"
    peak = f"from its peak on {drawdown['peak']} " if drawdown["peak"] else ""
    depth = pct(drawdown["depth"], 2)  # the tool's four digits: "65.45%", never rounded twice
    text = f"maximum drawdown {depth} {peak}to its trough on {drawdown['trough']}"
    recovered = drawdown["recovery"]
    return text + (f", recovered on {recovered}" if recovered else ", not recovered by the end")


def _months(stats: dict[str, Any]) -> str:
    """Each calendar month's return of a result entry (`calendar_months`), a month the window
    cuts marked "(part)", how many rose and fell, then the best and the worst month."""
    months = stats.get("calendar_months")
    if not months:
        return "no calendar months (not asked of the tool)"
    shown = ", ".join(
        f"{m['month']} {pct(m['return'])}{' (part)' if m.get('cut') else ''}" for m in months
    )
    said = f"by calendar month {shown}"
    up, down = (sum(1 for m in months if side * m["return"] > 0) for side in (1, -1))
    flat = f", flat in {len(months) - up - down}" if len(months) > up + down else ""
    said += f"; up in {up} of the {len(months)} months, down in {down}{flat}"
    if len(months) > 2:
        best, worst = (f(months, key=lambda m: m["return"]) for f in (max, min))
        said += f"; best month {best['month']} ({pct(best['return'])}), worst {worst['month']}"
        said += f" ({pct(worst['return'])})"
    return said


def _month_end(stats: dict[str, Any], end: str) -> str:
    """The best or worst month (`end`) with its return; the `months_asked` most extreme of them
    when a count was asked ("the 3 best months"), from `calendar_months`, or why one is given
    (a window of more months than are listed)."""
    one = stats[f"{end}_month"]
    said = f"{end} month {one['month']} ({pct(one['return'])})"
    asked, months = stats.get("months_asked"), stats.get("calendar_months")
    if not asked:
        return said
    if not months:
        return (
            f"{said} (the {asked} {end} months are listed over a window of at most "
            f"{MAX_CALENDAR_MONTHS} months: ask for five years or less)"
        )
    ordered = sorted(months, key=lambda m: m["return"], reverse=end == "best")[:asked]
    listed = ", ".join(
        f"{m['month']} ({pct(m['return'])}{', part of the month' if m.get('cut') else ''})"
        for m in ordered
    )
    return (
        f"{len(ordered)} {end} months, {'highest' if end == 'best' else 'lowest'} first: {listed}"
    )


def _beyond(stats: dict[str, Any]) -> str:
    """The sessions that fell and rose by more than the move asked, of the window's."""
    beyond = stats.get("days_beyond")
    if beyond is None:
        return "no count of days beyond a move (not asked of the tool)"
    size = pct(beyond["size"])
    return (
        f"{beyond['down']:,} sessions down more than {size} and {beyond['up']:,} up more than "
        f"{size}, of {beyond['sessions']:,}"
    )


def _days(stats: dict[str, Any], end: str) -> str:
    """The best or worst day (`end`) with its return, or the days the tool listed
    (`extreme_days`), most extreme first."""
    days = stats.get(f"{end}_days")
    if not days:
        day = stats[f"{end}_day"]
        return f"{end} day {day['date']} ({pct(day['return'], 2)})"
    listed = ", ".join(f"{day['date']} ({pct(day['return'], 2)})" for day in days)
    most = " (the most listed)" if len(days) == MAX_EXTREME_DAYS else ""
    order = "highest" if end == "best" else "lowest"
    return f"{len(days)} {end} days{most}, {order} first: {listed}"


def _figure(
    stats: dict[str, Any], key: str, words: str, note: str, none: str = "(it did not move)"
) -> str:
    """A figure of two decimals with its words and `note`, or "no <words> <none>" when the tool
    gave none."""
    value = stats.get(key)
    return f"no {words} {none}" if value is None else f"{words} {value:.2f} {note}"


def _tracking(stats: dict[str, Any]) -> str:
    """The tracking error of a result entry against the index (or `beta_to`), with its active
    return and information ratio."""
    against = stats.get("beta_to") or "the S&P 500 index"
    if stats.get("tracking_error") is None:
        return f"no tracking error against {against} (not measured against it)"
    ratio = stats.get("information_ratio")
    ratio_said = "" if ratio is None else f"; information ratio {ratio:.2f}"
    return (
        f"tracking error {pct(stats['tracking_error'])} a year against {against} (active return "
        f"{pct(stats['active_return'])} a year{ratio_said})"
    )


def years_phrase(stats: dict[str, Any]) -> str:
    """Each calendar year's return of a result entry (`calendar_years`), a year the window cuts
    with the sessions it counts ("2022 -12.0% (2022-01-03 to 2022-06-30 only)"), then the best
    and the worst year (a part year among them said as one)."""
    years = stats.get("calendar_years")
    if not years:
        return "no calendar years (not asked of the tool)"
    shown = []
    for year in years:
        span = f" ({year['from']} to {year['to']} only)" if year.get("cut") else ""
        shown.append(f"{year['year']} {pct(year['return'])}{span}")
    said = "by calendar year " + ", ".join(shown)
    if len(years) > 2:  # the best and worst year, a part year said as one
        best, worst = (f(years, key=lambda y: y["return"]) for f in (max, min))
        said += f"; best year {_year_named(best)}, worst {_year_named(worst)}"
    return said


def _year_named(year: dict[str, Any]) -> str:
    """ "2019 (28.9%)", or for a part year "2022 (-14.0%, 2022-01-03 to 2022-12-28 only)"."""
    part = f", {year['from']} to {year['to']} only" if year.get("cut") else ""
    return f"{year['year']} ({pct(year['return'])}{part})"


def years_ranked(named: dict[str, dict[str, Any]]) -> str:
    """Each calendar year's highest and lowest return among `named` (name -> its result entry
    with `calendar_years`), for years two or more of them hold; "" when none does."""
    by_year: dict[int, dict[str, float]] = {}
    for name, stats in named.items():
        for year in stats.get("calendar_years") or ():
            by_year.setdefault(year["year"], {})[name] = year["return"]
    shown = []
    for year, values in sorted(by_year.items()):
        if len(values) > 1:
            high, low = max(values, key=values.__getitem__), min(values, key=values.__getitem__)
            shown.append(f"{year} {high} {pct(values[high])} (lowest {low} {pct(values[low])})")
    return "Each calendar year's highest return: " + ", ".join(shown) + "." if shown else ""


PHRASES: dict[str, Callable[[dict[str, Any]], str]] = {
    "return": lambda s: (
        f"a total return of {pct(s['cumulative_return'])} ({pct(s['annualised_return'])} a "
        f"year annualised, CAGR {pct(s['cagr'])})"
    ),
    "volatility": lambda s: f"volatility {pct(s['volatility'])} a year",
    "variance": lambda s: (
        f"variance {s['volatility'] ** 2:.4f} a year (the square of its volatility, "
        f"{pct(s['volatility'])})"
    ),
    "sharpe_ratio": lambda s: _figure(s, "sharpe_ratio", "Sharpe ratio", "(risk-free rate 0%)"),
    "market_correlation": lambda s: (
        f"no correlation with {s.get('beta_to') or 'the S&P 500 index'} (a flat series)"
        if s.get("market_correlation") is None
        else f"correlation {s['market_correlation']:.2f} with "
        f"{s.get('beta_to') or 'the S&P 500 index'} (daily returns)"
    ),
    "beta": lambda s: (
        "no beta (no index)"
        if s.get("beta") is None
        else f"beta {s['beta']:.2f} to {s.get('beta_to') or 'the S&P 500 index'}"
    ),
    "tracking_error": _tracking,
    "days_beyond": _beyond,
    "worst_day": lambda s: _days(s, "worst"),
    "best_day": lambda s: _days(s, "best"),
    "worst_month": lambda s: _month_end(s, "worst"),
    "best_month": lambda s: _month_end(s, "best"),
    "drawdown_dates": drawdown_phrase,
    "daily_mean": lambda s: (
        f"average daily return {pct(s['annualised_return'] / SESSIONS_PER['year'], 3)} "
        f"({pct(s['annualised_return'])} a year annualised)"
    ),
    "sortino_ratio": lambda s: _figure(
        s, "sortino_ratio", "Sortino ratio", "(risk-free rate 0%)", "(no day lost)"
    ),
    "downside_deviation": lambda s: (
        f"downside deviation {pct(s['downside_deviation'], 2)} a year"  # the tool's 4 digits
    ),
    "skewness": lambda s: _figure(s, "skewness", "skewness", "(daily returns)"),
    "kurtosis": lambda s: _figure(
        s, "excess_kurtosis", "excess kurtosis", "(daily returns; normal: 0)"
    ),
    "by_year": years_phrase,
    "by_month": _months,
}
"""The phrase of each statistic a question names, from its entry of the tool's result."""
SUMMARY = ("return", "volatility", "beta", "worst_month", "drawdown_dates")
"""The statistics given when a question names none."""


def _sortino(stats: dict[str, Any]) -> float | None:
    """The Sortino ratio to rank by: +inf for a stock that never lost and gained (the tool's
    null), None when it has none (it did not move)."""
    if stats.get("sortino_ratio") is not None:
        return float(stats["sortino_ratio"])
    gained = stats["downside_deviation"] == 0 and stats["annualised_return"] > 0
    return math.inf if gained else None


RANKED_BY: dict[
    str, tuple[str, Callable[[dict[str, Any]], float | None], Callable[[float], str]]
] = {
    "return": ("total return", lambda s: s["cumulative_return"], pct),
    "volatility": ("volatility", lambda s: s["volatility"], pct),
    "variance": (
        "variance (the square of volatility, a year)",
        lambda s: s["volatility"] ** 2,
        lambda v: f"{v:.4f}",
    ),
    "sharpe_ratio": (
        "Sharpe ratio (risk-free rate 0%)",
        lambda s: s["sharpe_ratio"],
        lambda v: f"{v:.2f}",
    ),
    "beta": ("beta", lambda s: s.get("beta"), lambda v: f"{v:.2f}"),
    "market_correlation": (
        "correlation of daily returns with the S&P 500 index",
        lambda s: s.get("market_correlation"),
        lambda v: f"{v:.2f}",
    ),
    "drawdown_dates": ("maximum drawdown", lambda s: s["max_drawdown"]["depth"], pct),
    "sortino_ratio": (
        "Sortino ratio (risk-free rate 0%)",
        lambda s: _sortino(s),
        lambda v: "no losing day" if math.isinf(v) else f"{v:.2f}",
    ),
    "downside_deviation": ("downside deviation", lambda s: s["downside_deviation"], pct),
    "skewness": ("skewness", lambda s: s.get("skewness"), lambda v: f"{v:.2f}"),
    "kurtosis": ("excess kurtosis", lambda s: s.get("excess_kurtosis"), lambda v: f"{v:.2f}"),
}
"""The measures names are put in order by: the words, the value, the value's text (a ranking
names the series a beta or correlation is measured against: `ranked_words`)."""


def ranked_words(measure: str, beta_to: str | None) -> str:
    """The words a ranking by `measure` says, naming the series a beta or correlation was
    measured against (`beta_to`, a stock; None: the index)."""
    words = RANKED_BY[measure][0]
    if measure == "beta":
        words = "beta to the S&P 500 index"
    return words.replace("the S&P 500 index", beta_to) if beta_to else words


LOWER_IS_BETTER = ("volatility", "variance", "drawdown_dates", "downside_deviation")
"""Measures whose lower value is the better one (the best by volatility is the least volatile)."""
HIGHER_IS_BETTER = ("return", "sharpe_ratio", "sortino_ratio")
"""Measures whose higher value is the better one (beta, skewness and kurtosis have no better
side)."""


def told_apart(known: dict[str, float], text: Callable[[float], str]) -> dict[str, str]:
    """Each value of `known` (name -> value) as `text` writes it, or, when two different values
    would read the same ("0.85" and "0.85" for 0.8512 and 0.8498), each with the fewest more
    decimals, one or two, that part them all: names said in order never look tied when they
    are not, and read with one precision (no value with more decimals than the tool's
    significant digits hold)."""
    shown = {name: text(value) for name, value in known.items()}
    if _parted(known, shown):
        return shown
    finer = shown
    for more in (1, 2):
        finer = {name: _finer(known[name], said, more) for name, said in shown.items()}
        if _parted(known, finer):
            break
    return finer


def _parted(known: dict[str, float], shown: dict[str, str]) -> bool:
    """Whether no two different values of `known` read the same in `shown`."""
    values_of: dict[str, set[float]] = {}
    for name, said in shown.items():
        values_of.setdefault(said, set()).add(known[name])
    return all(len(values) == 1 for values in values_of.values())


_PLAIN_NUMBER = patterns.compile(r"-?\d+(?:\.(\d+))?(%?)")


def _finer(value: float, said: str, more: int) -> str:
    """`value`, written as `said` ("0.85", "31.0%"), with `more` decimals, or as many as the
    tool's significant digits hold when fewer (`TOOL_SIGNIFICANT_DIGITS`: 0.2184 is "21.84%",
    not "21.840%"), never fewer than `said` has."""
    number = _PLAIN_NUMBER.fullmatch(said)
    if number is None or not math.isfinite(value):
        return said
    shown = abs(value) * (100 if number.group(2) else 1)
    places = len(number.group(1) or "")
    held = TOOL_SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(shown)) if shown else places + more
    places = max(places, min(places + more, held))
    return f"{value:.{places}%}" if number.group(2) else f"{value:.{places}f}"


_SIDES = {"drawdown_dates": ("shallower", "deeper")}
"""The words of a measure's lower and higher side, when not "lower" and "higher"."""
_MOST = {"lower": "lowest", "higher": "highest", "shallower": "shallowest", "deeper": "deepest"}


def judged_line(
    words: str, order: list[str], known: dict[str, float], measure: str, judged: str | None
) -> str:
    """Which of `order` (names, highest value first; `known` their values) is the better or
    the worse (`judged`) by `measure`, called `words` ("Better by volatility: MSFT (the
    lower)."); names that tie at that end said as tied; "" when nothing is judged or the
    measure has no better side."""
    if judged is None or measure not in (*LOWER_IS_BETTER, *HIGHER_IS_BETTER):
        return ""
    lower_wins = (measure in LOWER_IS_BETTER) == (judged == "better")
    ranked = order[::-1] if lower_wins else order
    two = len(order) == 2
    word = {"better": "better" if two else "best", "worse": "worse" if two else "worst"}[judged]
    low, high = _SIDES.get(measure, ("lower", "higher"))
    side = (low if lower_wins else high) if two else _MOST[low if lower_wins else high]
    tied = [name for name in ranked if known[name] == known[ranked[0]]]
    if len(tied) > 1:
        return f"{' and '.join(tied)} tie as the {word} by {words}."
    return f"{word.capitalize()} by {words}: {ranked[0]} (the {side})."


def picked_line(
    words: str, order: list[str], shown: dict[str, str], measure: str, end: str | None
) -> str:
    """The name at the `end` ("highest" or "lowest") of `order` (names, highest value first;
    `shown` their values' text) by `measure`, called `words`, with its value ("Lowest by
    volatility: JNJ (17.5%)."); names that tie at that end said as tied; "" when no end is
    picked."""
    if end is None or not order:
        return ""
    ranked = order if end == "highest" else order[::-1]
    low, high = _SIDES.get(measure, ("lower", "higher"))
    side = _MOST[high if end == "highest" else low]
    tied = [name for name in ranked if shown[name] == shown[ranked[0]]]
    if len(tied) > 1:
        return f"{' and '.join(tied)} tie as the {side} by {words} ({shown[ranked[0]]})."
    return f"{side.capitalize()} by {words}: {ranked[0]} ({shown[ranked[0]]})."


def beside_pivot(named: dict[str, dict[str, Any]], pivot: str, wanted: list[str]) -> str:
    """How each of `named` (name -> its statistics) stands against `pivot`, one of them, on the
    first measure of `wanted` that orders them ("which stocks held up better than KO in 2022?":
    a higher total return than KO's, or a lower one), highest first; of two, the other's beside
    it ("did AAPL beat KO?": "AAPL had a lower total return than KO: ..."); "" when none orders
    them or `pivot` has no value."""
    for measure in wanted:
        if measure not in RANKED_BY:
            continue
        words, value, text = RANKED_BY[measure]
        known = {n: v for n, s in named.items() if (v := value(s)) is not None}
        if pivot not in known or len(known) < 2:
            continue
        if len(known) == 2:  # "did AAPL beat KO?"
            (other,) = (n for n in known if n != pivot)
            side = "higher" if known[other] > known[pivot] else "lower"
            side = "the same" if known[other] == known[pivot] else f"a {side}"
            said = (
                f"{other} had {side} {words} than {pivot}: {text(known[other])} against "
                f"{text(known[pivot])}."
            )
            return said[:1].upper() + said[1:]  # "The portfolio had ...": a sentence's start
        order = sorted(known, key=lambda n: -known[n])
        higher = [n for n in order if known[n] > known[pivot]]
        lower = [n for n in order if known[n] < known[pivot]]
        others = len(known) - 1
        counted = {0: f"None of the {others}", others: f"All {others}"}.get(
            len(higher), f"{len(higher)} of the {others}"
        )
        return (
            f"A higher {words} than {pivot} ({text(known[pivot])}): "
            f"{', '.join(higher) or 'none'}; lower: {', '.join(lower) or 'none'}. "
            f"{counted} had a higher {words}."
        )
    return ""


_BAR_SIDES = {
    "drawdown_dates": {(True, False): "deeper than", (False, False): "shallower than"},
}
"""The words of a bar's side for a measure, when not "above" and "below"."""


def bar_line(
    words: str, known: dict[str, float], shown: dict[str, str], bar: Bar, reference: str = ""
) -> str:
    """The names of `known` (name -> its value of the measure called `words`; `shown` their
    values' text) beyond `bar`, and how many, furthest first, then the closest of the rest
    ("By total return, 1 of the 20 had a total return below -30% ('fell more than 30%'): AMD
    -56.5%. The closest of the rest: MSFT -29.6%."); `reference` says where a bound set beside
    another figure comes from."""
    side = _BAR_SIDES.get(bar.measure, {}).get((bar.above, bar.inclusive))
    if side is None:
        side = {(True, False): "above", (False, False): "below", (True, True): "of at least",
                (False, True): "of at most"}[(bar.above, bar.inclusive)]  # fmt: skip
    percent = bar.measure not in ("sharpe_ratio", "beta")
    bound = f"{bar.value * 100:.4g}%" if percent else f"{bar.value:g}"
    order = sorted(known, key=lambda n: known[n], reverse=bar.above)  # the furthest first
    beyond = [n for n in order if bar.holds(known[n])]
    rest = [n for n in order if n not in beyond]  # the closest to the bar first
    many = len(known)
    counted = {0: f"none of the {many}", many: f"all {many}"}.get(
        len(beyond), f"{len(beyond)} of the {many}"
    )
    defined = f"a {words.split(' (')[0]} {side} {bound}"
    asked = "" if bar.said in defined.lower() else f" ('{bar.said}')"  # "fell more than 30%"
    if reference:  # "('beat the market by more than 10%': the S&P 500 index's 26.89% plus 10 ...)"
        asked = f" ('{bar.said}': {reference})"
    if many == 1:  # "did AAPL fall more than 20% in 2022?"
        (name,) = known
        noun, _, note = words.partition(" (")  # "Sharpe ratio (risk-free rate 0%)"
        note = f" ({note}" if note else ""
        verdict = (
            f"{side.removeprefix('of ')} {bound}"
            if beyond
            else f"not {side.removeprefix('of ')} {bound}"
        )
        answer = "Yes" if beyond else "No"
        return f"{answer}: {name}'s {noun} was {shown[name]}{note}, {verdict}{asked}."
    said = f"By {words}, {counted} had {defined}{asked}"
    if not beyond:
        return f"{said}; the closest: {rest[0]} {shown[rest[0]]}."
    names = ", ".join(f"{n} {shown[n]}" for n in beyond)
    closest = f" The closest of the rest: {rest[0]} {shown[rest[0]]}." if rest else ""
    return f"{said}: {names}.{closest}"


def held_bar_line(portfolio: dict[str, Any], bar: Bar, subject: str) -> str:
    """Whether the portfolio (its statistics, called `subject`) is beyond the bar asked of it,
    yes or no, with its figure ("No: the portfolio's total return was -1.9%, not below -10%
    ('fall more than 10%')"); "" when it has no value of the bar's measure."""
    words, value, text = RANKED_BY[bar.measure]
    known = {subject: v} if (v := value(portfolio)) is not None else {}
    return bar_line(words, known, told_apart(known, text), bar) if known else ""


def beside_index_bar_line(named: dict[str, dict[str, Any]], index_name: str, bar: Bar) -> str:
    """The names of `named` (name -> its statistics, the index's under `index_name`) beyond a
    bar set as a margin over the index's figure (`Bar.beside_index`: "which stocks beat the
    market by more than 10%?" is a total return above the index's plus 10 percentage points),
    with the bound and where it comes from; "" when the index has no figure of the measure."""
    words, value, text = RANKED_BY[bar.measure]
    index = value(named[index_name]) if index_name in named else None
    known = {n: v for n, s in named.items() if n != index_name and (v := value(s)) is not None}
    if index is None or not known:
        return ""
    bound = replace(bar, value=index + bar.value, beside_index=False)
    points = abs(bar.value) * 100
    side = "plus" if bar.value >= 0 else "minus"
    margin = f"{side} {points:g} percentage point{'' if points == 1 else 's'}"
    reference = f"{index_name}'s {index * 100:.4g}% {margin}"
    return bar_line(words, known, told_apart(known, text), bound, reference)


def ordered_line(
    words: str, order: list[str], shown: dict[str, str], measure: str, ends: Ends
) -> str:
    """One measure's sentence: every name from the highest (from the worst when only the worst
    are asked about), or the ends asked for."""
    lower_better = measure in LOWER_IS_BETTER
    highest = ends.highest or (ends.worst if lower_better else ends.best)
    lowest = ends.lowest or (ends.best if lower_better else ends.worst)
    if highest is None and lowest is None:
        if ends.lowest_first or (ends.worst_first and not lower_better):
            names = ", ".join(f"{n} {shown[n]}" for n in order[::-1])
            return f"By {words}, lowest first: {names} (lowest {order[-1]}, highest {order[0]})."
        names = ", ".join(f"{n} {shown[n]}" for n in order)
        return f"By {words}, highest first: {names} (highest {order[0]}, lowest {order[-1]})."
    parts = []
    if highest is not None:
        top = order[:highest]
        names = ", ".join(f"{n} {shown[n]}" for n in top)
        parts.append(f"{_ranking_end(len(top), 'highest', len(order))}: {names}")
    if lowest is not None:
        bottom = order[::-1][:lowest]
        names = ", ".join(f"{n} {shown[n]}" for n in bottom)
        parts.append(f"{_ranking_end(len(bottom), 'lowest', len(order))}: {names}")
    return f"By {words}, " + "; ".join(parts) + "."


def _ranking_end(n: int, word: str, of: int) -> str:
    """An end of a ranking in words: "the 5 highest of 20, highest first"; "the highest of 20"."""
    return f"the {word} of {of}" if n == 1 else f"the {n} {word} of {of}, {word} first"
