"""The named historical episodes (`quant.episodes.EPISODES`) in a message: how each is said, and an
episode said as the window of a measure ("the 99% VaR during the covid crash", "KO's volatility
through the GFC"), which is then the window, from the index's peak to its trough, or from its
peak on ("since the covid crash")."""

from __future__ import annotations

from agents.offline.intent.rankings import COMPARED_AGAINST
from agents.offline.intent.scanner import Scanner
from quant.episodes import EPISODES
from settings import patterns

EPISODE_WORDS: dict[str, str] = {
    "gfc_2008": r"\b(?:2008|2007[\s/-]*(?:20)?09|2008[\s/-]*(?:20)?09)\b\s*(?:financial\s+)?"
    r"(?:crisis|crash|style|again\b|bear|meltdown|sell[\s-]?off)|\bgfc\b|global financial crisis"
    r"|(?:great |the )?financial crisis|\blehman\b|\bsubprime\b|(?:replay|repeat\w*|rerun|like|"
    r"against)\s+(?:the\s+)?2008\b"
    r"|['\u2019]08\s+(?:financial\s+)?(?:crisis|crash|meltdown|sell[\s-]?off)",
    "covid_2020": r"\bcovid\w*|\bcorona\w*|\bpandemic\b|\b(?:march\s+)?2020\s+(?:crash|sell[\s-]?"
    r"off|drop|crisis)|(?:replay|repeat\w*|rerun|like|against)\s+(?:the\s+)?(?:march\s+)?2020\b",
    "rates_2022": r"\brate[s]?\s+(?:shock|hikes?|hiking|spike|sell[\s-]?off)|\b2022\s+(?:rate|"
    r"bear|sell[\s-]?off|drawdown|crash|inflation)|\binflation shock\b|(?:replay|repeat\w*|rerun"
    r"|like|against)\s+(?:the\s+)?2022\b",
}
"""How each episode is said (regular expressions, lower case)."""
EPISODE_PATTERNS = {key: patterns.compile(words) for key, words in EPISODE_WORDS.items()}
"""`EPISODE_WORDS` compiled."""

_WINDOW_CUE = r"\b(?:during|over|through|throughout|across|in)\s+(?:the\s+)?"
_STRESS_CUE = patterns.compile(
    r"\bstress\w*|\breplay\w*|\bwhat (?:would|if|happens)\b|\bhow (?:would|will)\b|\bagainst\b"
    r"|\bimpact\b|\bshock (?:it|the|my)\b"
)

_MEASURE_CUE = patterns.compile(
    r"\bc?var\b|value[\s-]at[\s-]risk|expected shortfall|\bdrawdowns?\b|\brisk\b|\bvol\b"
    r"|\bvolatil\w*|\breturns?\b|\bbetas?\b|\bcorrelat\w*|\bsharpe\b|\bsortino\b"
    r"|\bcalmar\b|\bworst\b|\bbest\b|\bstatistics?\b|\bperform\w*"
)
"""Words of a measure: an episode is its window only beside one ("and in the 2008 crisis, on
$2m?" after a stress test replays the crisis)."""


_SINCE_CUE = r"\b(?:since|after|from)\s+(?:the\s+)?(?:start\s+of\s+(?:the\s+)?)?"
"""An episode as where the window starts ("the drawdown of JPM since the covid crash")."""
_EPISODE_WINDOWS = tuple(
    (
        key,
        patterns.compile(_WINDOW_CUE + rf"(?:{words})"),
        patterns.compile(_SINCE_CUE + rf"(?:{words})"),
    )
    for key, words in EPISODE_WORDS.items()
)
"""Each episode's key, said as a window ("during the covid crash"), then as its start."""


def read_episode_window(scan: Scanner) -> tuple[str, str, str | None] | None:
    """The episode said as the window of a measure (its key, first and last date; the last None
    for a window from the episode's first date to the data's end: "since the covid crash"),
    consumed from the scanner; None when none is, when the message names no measure, or when it
    asks to replay or stress one."""
    stressed = _STRESS_CUE.search(COMPARED_AGAINST.sub(" ", scan.free))  # not "did X do against"
    if stressed or not _MEASURE_CUE.search(scan.free):
        return None
    for key, during, since in _EPISODE_WINDOWS:
        episode = EPISODES[key]
        match = during.search(scan.free)
        if match is not None:
            scan.consume(match)
            return key, episode.start, episode.end
        match = since.search(scan.free)
        if match is not None:
            scan.consume(match)
            return key, episode.start, None
    return None


__all__ = ["EPISODE_PATTERNS", "EPISODE_WORDS", "read_episode_window"]
