"""An analysis question as read from a message (`agents.offline.intent.analysis.read_analysis`):
its kind, the tool that answers it, and what the message states."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from agents.offline.intent.rankings import Ends

__all__ = ["TOOLS", "AnalysisAsk", "AnalysisKind"]

AnalysisKind = Literal[
    "statistics", "stress", "loss_probability", "backtest_weights", "compare", "coverage"
]

TOOLS: dict[AnalysisKind, str] = {
    "statistics": "asset_statistics",
    "stress": "stress_test",
    "loss_probability": "loss_probability",
    "backtest_weights": "backtest_weights",
    "compare": "compare_portfolios",
    "coverage": "market_data_coverage",
}
"""The tool that answers each kind of question."""


@dataclass(frozen=True)
class AnalysisAsk:
    """An analysis question: its `kind`, the `tool` that answers it, and what the message
    states (empty: not stated). `weights` by ticker (fractions); `last_sessions` for "the last
    12 months" (252); `market_move` a signed fraction; `episodes` keys of
    `quant.episodes.EPISODES`; `rate_rise` a rise of rates supposed (bps; the 2022 rate shock
    replayed for it); `sector_move` a sector as said and its move; `bear_case` the scenario
    engine's bear case asked for; `threshold`
    the loss of a probability and `scenarios` those it names; `horizon` in sessions; `capital`
    in currency; `rebalance` a cadence; `cost_bps`; `measures` the statistics named (return,
    correlation, beta, ...); `judged_on` the measure a comparison is asked on (a key of a
    `compare_portfolios` row: "which gives lower drawdown" -> ``max_drawdown``); `beta_to` the
    stock a beta is asked against instead of the index ("beta of JPM to XOM": XOM); `years`
    calendar years compared, each its own window ("vol of AAPL in 2022 vs 2021"); `groups`
    sectors or industries set side by side, each with its known tickers ("vol of tech vs
    staples": each group measured at equal weights); `ranked` the names asked in order of a
    measure ("which bank had the best Sharpe ratio?", "rank them by volatility"; in a stress
    question each stock stressed on its own: "would AAPL or KO hold up better?"), `ends` how
    many of either end it shows ("top 5"); `to_market` the index a side of the question: a
    correlation asked with it ("how correlated is XOM with the S&P?"), or the names `ranked`
    beside it ("is AMD riskier than the market?"); `added` the names
    a what-if adds to the `weights` given ("would adding KO to 50/50 AAPL MSFT reduce its
    volatility?"), compared with them, at the `added_shares` stated ("add 10% KO"); `names` the
    stocks a question about the data asks of ("is AAPL in the data?"); `rolling` the sessions of a
    rolling window asked ("rolling 60-day correlation": 60); `against` the stocks the
    conversation's portfolio is set beside ("is it riskier than KO and PG?"), or every stock is
    `ranked` beside ("which stocks were riskier than KO?"), the safer said first when asked of
    (`safer_first`: "which stocks were safer than KO?"); `to_held` the names `added` to the
    conversation's portfolio ("would adding 10% PG reduce its CVaR?": no `weights` given);
    `beat_index` whether it asks which names did better than the index ("did MSFT lag the S&P
    500?", "which stocks beat the market?": each total return above or below the index's);
    `index_alone` the index asked of alone (`agents.offline.intent.index_alone`); `months` the
    best or worst months asked for by count ("the 3 best months of AAPL since 2020": 3);
    `rebalances` the cadences a backtest is run at, side by side ("monthly rebalancing vs buy
    and hold": monthly, never), `how_often` when the question is how often to rebalance ("how
    often should I rebalance it?": `rebalances` the usual cadences)."""

    kind: AnalysisKind
    tool: str
    weights: dict[str, float] = field(default_factory=dict)
    last_sessions: int | None = None
    market_move: float | None = None
    episodes: tuple[str, ...] = ()
    rate_rise: float | None = None
    sector_move: tuple[str, float] | None = None
    bear_case: bool = False
    scenarios: tuple[str, ...] = ()
    threshold: float | None = None
    horizon: int | None = None
    capital: float | None = None
    rebalance: str | None = None
    cost_bps: float | None = None
    measures: tuple[str, ...] = ()
    judged_on: str | None = None
    beta_to: str | None = None
    years: tuple[str, ...] = ()
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ranked: bool = False
    ends: Ends = field(default_factory=Ends)
    to_market: bool = False
    added: tuple[str, ...] = ()
    added_shares: dict[str, float] = field(default_factory=dict)
    names: tuple[str, ...] = ()
    rolling: int | None = None
    against: tuple[str, ...] = ()
    safer_first: bool = False
    to_held: bool = False
    beat_index: bool = False
    index_alone: bool = False
    months: int | None = None
    rebalances: tuple[str, ...] = ()
    how_often: bool = False
