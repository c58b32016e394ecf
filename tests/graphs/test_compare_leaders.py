"""Which compared portfolio leads on each measure, said once per portfolio: "The risk-parity
portfolio has the highest Sharpe ratio. The risk-parity portfolio has the lowest 95% CVaR. ..."
repeated the portfolio for every measure it led on; now "The risk-parity portfolio has the highest
Sharpe ratio, the lowest 95% CVaR and the lowest maximum drawdown; the min-volatility portfolio
has the lowest volatility." Over generated methods and stocks, each portfolio is named once, and
each measure's leader is the portfolio whose value of it, as the answer shows it, is best."""

from __future__ import annotations

import re
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

METHODS = {"risk parity": "risk-parity", "min vol": "min-volatility", "HRP": "HRP",
           "max Sharpe": "max-Sharpe"}  # fmt: skip
"""Methods as asked, and as the answer names them."""
ROW = re.compile(
    r"(?P<name>[\w-]+) \(pf_\w+\): return -?[\d.]+% a year, volatility (?P<volatility>[\d.]+)%, "
    r"Sharpe ratio (?P<sharpe>-?[\d.]+) \(risk-free rate [^)]+\), maximum drawdown "
    r"(?P<drawdown>[\d.]+)%, 95% CVaR (?P<cvar>[\d.]+)%"
)
MEASURES = {"the highest Sharpe ratio": ("sharpe", max), "the lowest 95% CVaR": ("cvar", min),
            "the lowest volatility": ("volatility", min),
            "the lowest maximum drawdown": ("drawdown", min)}  # fmt: skip


@settings(max_examples=6, deadline=None)
@given(
    methods=st.lists(st.sampled_from(sorted(METHODS)), min_size=2, max_size=3, unique=True),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=4, unique=True),
)
def test_each_portfolio_is_named_once_with_every_measure_it_leads_on(
    methods: list[str], stocks: list[str]
) -> None:
    reply = answer_in_new_thread(f"compare {' and '.join(methods)} for {', '.join(stocks)}")
    rows = {m["name"]: {k: float(v) for k, v in m.groupdict().items() if k != "name"}
            for m in ROW.finditer(reply)}  # fmt: skip
    assert set(rows) == {METHODS[m] for m in methods}, reply
    said = re.search(r"\. (The [^.]+? has the [^.]+)\.", reply)
    assert said is not None, reply
    clauses = said[1].split("; ")
    leaders = [re.match(r"the (.+?) portfolio has (.+)", c, re.IGNORECASE) for c in clauses]
    assert all(leaders), clauses
    named = [m[1] for m in leaders if m]
    assert len(named) == len(set(named)), clauses  # each portfolio once
    led = {what: m[1] for m in leaders if m for what in re.split(r", | and ", m[2])}
    assert set(led) == set(MEASURES), clauses  # every measure has its leader
    for what, (measure, best) in MEASURES.items():
        top = best(row[measure] for row in rows.values())
        assert rows[led[what]][measure] == top, (what, reply)


PICKS = ("which one would you pick?", "which is better?", "so which should I go with?",
         "which of them would you recommend?", "ok which one should we choose?")  # fmt: skip


@settings(max_examples=6, deadline=None)
@given(
    methods=st.lists(st.sampled_from(sorted(METHODS)), min_size=2, max_size=3, unique=True),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=4, unique=True),
    pick=st.sampled_from(PICKS),
)
def test_which_to_pick_after_a_comparison_is_the_best_sharpe_said_as_the_choice_made(
    methods: list[str], stocks: list[str], pick: str
) -> None:
    """ "Which one would you pick?" after a comparison gave the market read of the stocks; now
    the choice on the Sharpe ratio, said as the one made (no measure was named), each
    portfolio's Sharpe ratio beside it, the one leading on a loss measure named when it is
    another, and the comparison again below."""
    session = ChatSession(f"pick-{uuid.uuid4().hex}", settings=Settings())
    session.send(f"compare {' and '.join(methods)} for {', '.join(stocks)}")
    reply = session.send(pick).replies[-1]
    rows = {m["name"]: {k: float(v) for k, v in m.groupdict().items() if k != "name"}
            for m in ROW.finditer(reply)}  # fmt: skip
    assert set(rows) == {METHODS[m] for m in methods}, reply
    head = re.match(
        r"You named no measure to choose by: on the Sharpe ratio \(return per unit of "
        r"volatility\), the (?P<best>[\w-]+) portfolio leads \((?P<values>[^)]+)\)",
        reply,
    )
    assert head is not None, reply
    said = dict(v.rsplit(" ", 1) for v in head["values"].split(", "))
    assert {k: float(v) for k, v in said.items()} == {k: r["sharpe"] for k, r in rows.items()}
    assert rows[head["best"]]["sharpe"] == max(r["sharpe"] for r in rows.values()), reply
    safer = [n for n in rows if n != head["best"] and any(
        rows[n][m] == min(r[m] for r in rows.values()) < rows[head["best"]][m]
        for m in ("cvar", "volatility", "drawdown"))]  # fmt: skip
    assert ("if losses weigh more with you" in reply) == bool(safer), reply
    assert "not a forecast" in reply
