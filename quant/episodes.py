"""The historical market episodes stress tests replay (`quant.stress.replay_episode`), apart from
their numerics, so a reader of a message naming one (the offline model) loads no data frame.

`EPISODES` is the one place the historical episodes are defined: each runs from the S&P 500
index's closing peak to its closing trough (levels as published by S&P Dow Jones Indices; the
embedded index holds the same closes, checked in tests/quant/test_statistics_stress.py):

| key | episode | peak close | trough close | index move |
| --- | --- | --- | --- | --- |
| `gfc_2008` | the 2008 financial crisis | 2007-10-09 (1,565.15) | 2009-03-09 (676.53) | -56.8% |
| `covid_2020` | the 2020 Covid crash | 2020-02-19 (3,386.15) | 2020-03-23 (2,237.40) | -33.9% |
| `rates_2022` | the 2022 rate shock | 2022-01-03 (4,796.56) | 2022-10-12 (3,577.03) | -25.4% |
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EPISODES", "Episode"]


@dataclass(frozen=True)
class Episode:
    """A historical market episode: its key, its name as a user reads it, and its first and
    last dates (ISO; the index's closing peak and trough)."""

    key: str
    name: str
    start: str
    end: str


EPISODES: dict[str, Episode] = {
    episode.key: episode
    for episode in (
        Episode("gfc_2008", "the 2008 financial crisis", "2007-10-09", "2009-03-09"),
        Episode("covid_2020", "the 2020 Covid crash", "2020-02-19", "2020-03-23"),
        Episode("rates_2022", "the 2022 rate shock", "2022-01-03", "2022-10-12"),
    )
}
"""The historical episodes stress tests replay, by key (see the module docstring)."""
