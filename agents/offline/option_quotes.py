"""The offline model's answer to "what does one option cost?" ("how much would a protective put on
AAPL cost for 3 months at 90% strike?", `agents.offline.intent.option_asked`): the supervisor
routes it to the risk manager (`option_route`), which prices each underlying and kind asked with
`price_option` and reads the result as a portfolio manager wants it (`option_chat`): the cost a
share and as a share of the value, annualised if rolled, the volatility and rate used and where
they came from, the delta, and what the message said that was not used.

A message about a strategy with options ("optimize a vol-targeting strategy with protective
puts") is no such ask: it is drafted as a search, as before.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, ToolCall

from agents.offline.chat_intent import intent_of, written_by_user
from agents.offline.formats import money_text, percent
from agents.offline.intent import Intent
from agents.offline.intent.option_asked import (
    INDEX,
    OptionAsk,
    read_option_ask,
    read_option_change,
)
from agents.offline.policies import PolicyInput, ToolResult, forced_call, reply, tool_call
from services.formatting import listed

__all__ = ["option_ask", "option_chat", "option_route"]

TOOL = "price_option"


def option_ask(inp: PolicyInput) -> OptionAsk | None:
    """The option price the user's latest message asks for (a short change of the options the
    turn before priced, "and for 6 months?", too), or None."""
    intent = intent_of(inp)
    asked = read_option_ask(intent.text, intent.tickers, intent.unknown_tickers)
    if asked is not None:
        return asked
    before = _priced_before(inp)
    if before is None:
        return None
    return read_option_change(intent.text, intent.tickers, intent.unknown_tickers, before)


def _priced_before(inp: PolicyInput) -> OptionAsk | None:
    """The options the turn before this one priced (its last tool calls, all `price_option`),
    as an ask; None when that turn priced none."""
    users, calls = 0, list[ToolCall]()
    for message in reversed(inp.messages):
        if written_by_user(message):
            users += 1
            if users == 2:
                break
        elif users == 1 and isinstance(message, AIMessage):
            calls[:0] = message.tool_calls
    if not calls or any(call["name"] != TOOL for call in calls):
        return None
    underlyings = tuple(dict.fromkeys(str(call["args"].get("underlying")) for call in calls))
    kinds = tuple(dict.fromkeys(str(call["args"].get("kind", "put")) for call in calls))
    terms = {k: v for k, v in calls[-1]["args"].items() if k not in ("underlying", "kind")}
    return OptionAsk(underlyings, kinds, terms)


def option_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The supervisor's route of an option price ask to the risk manager (None for any other
    message, and while no route is asked for)."""
    if not inp.must_call_tool or option_ask(inp) is None:
        return None
    reason = f"the message asks what an option costs ({TOOL})"
    return forced_call(inp, {"agent": "risk_manager", "reason": reason})


def _calls(ask: OptionAsk) -> list[dict[str, Any]]:
    """The `price_option` arguments of each underlying and kind asked, in order."""
    return [
        {"underlying": underlying, "kind": kind, **ask.args}
        for underlying in ask.underlyings
        for kind in ask.kinds
    ]


def option_chat(inp: PolicyInput) -> AIMessage | None:
    """The risk manager's turn on an option price ask: the next `price_option` call, then the
    answer; None for any other message (or when the tool is not at hand)."""
    ask = option_ask(inp)
    if ask is None or TOOL not in inp.tool_names:
        return None
    wanted = _calls(ask)
    done = [r for r in inp.results_this_turn() if r.name == TOOL]
    if len(done) < len(wanted):
        return reply("", tool_call(TOOL, wanted[len(done)]))
    return reply(option_answer(ask, done))


def option_answer(ask: OptionAsk, results: list[ToolResult]) -> str:
    """The answer from the `price_option` results (one paragraph each), what was assumed and
    what was not used."""
    parts = []
    for result in results:
        data = result.data
        what = f"the {result.args.get('kind', 'put')} on {result.args.get('underlying')}"
        if result.is_error or not isinstance(data, dict):
            parts.append(f"I could not price {what}: {result.reason}")
            continue
        parts.append(quote_sentence(data, ask))
    notes = list(ask.notes)
    if ask.funds:
        shown = listed(list(ask.funds))
        notes.append(
            f"{shown} as a fund: priced on the S&P 500 index's own level (the data holds the "
            "index, not the fund); the cost as a share of the value is the same, the price a "
            "share is not"
        )
    if notes:
        parts.append("Not used: " + "; ".join(notes) + ".")
    return "\n\n".join(parts)


def _tenor_words(data: dict[str, Any], ask: OptionAsk) -> tuple[str, str, str]:
    """The tenor as an adjective ("3-month"), as a period ("3 months") and how days said were
    taken ("", or " (90 calendar days: 62 trading sessions)")."""
    sessions = int(data["tenor"]["sessions"])
    months = float(data["tenor"]["months"])
    if ask.tenor_words is not None:
        count, unit = ask.tenor_words.split(" ", 1)
        said = f" ({ask.tenor_words}: {sessions} trading sessions)"
        return f"{count}-{unit.split()[-1].rstrip('s')}", f"{count} {unit.split()[-1]}", said
    if "tenor_days" in ask.args:
        return f"{sessions}-session", f"{sessions} sessions", ""
    if months >= 12 and months % 12 == 0:
        years = months / 12
        return f"{years:g}-year", "year" if years == 1 else f"{years:g} years", ""
    return f"{months:g}-month", "month" if months == 1 else f"{months:g} months", ""


def _article(word: str) -> str:
    """ "An" before a number said with a vowel ("an 8-month", "an 11-month", "an 18-month")."""
    number = word.split("-")[0]
    return "An" if number.startswith("8") or number in ("11", "18") else "A"


def _share(moneyness: float) -> str:
    """A strike's share of the spot as a PM says it ("90%", "92.5%")."""
    return f"{moneyness * 100:.4g}%"


def _strike_words(data: dict[str, Any], ask: OptionAsk, index: bool) -> str:
    """Where the option is struck: at the money, at a share of the close, or at a strike said."""
    spot, strike, when = data["spot"]["price"], data["strike"]["price"], data["spot"]["date"]
    moneyness = float(data["strike"]["moneyness"])

    def shown(amount: float) -> str:
        return f"{amount:,.2f}" if index else money_text(amount)

    if "strike" in ask.args:
        share = _share(moneyness)
        return f"at {shown(strike)} ({share} of its {when} close of {shown(spot)})"
    if abs(moneyness - 1.0) < 5e-7:
        return f"at the money ({shown(strike)}, its {when} close)"
    return f"at {_share(moneyness)} of its {when} close ({shown(strike)} of {shown(spot)})"


def _volatility_words(data: dict[str, Any], name: str) -> str:
    vol = data["volatility"]
    if vol["source"] == "stated":
        return f"volatility {percent(vol['value'])} (as you gave it)"
    model = vol["vol_model"]
    bound = vol.get("at_bound")
    edge = (
        f"; at the model's {'cap' if bound == 'max_volatility' else 'floor'} of "
        f"{percent(model[bound])}: this far from the close the skew no longer holds, so read "
        "the price as the model's edge, not a market's quote"
        if bound
        else ""
    )
    return (
        f"volatility {percent(vol['value'])} (the implied-volatility model the backtests and "
        f"hedges use: {name}'s realised volatility over the {vol['realised_window']} sessions "
        f"{vol['realised_from']} to {vol['realised_to']}, {percent(vol['realised'])} annualised, "
        f"plus a variance risk premium of {model['variance_risk_premium']:g} and a skew of "
        f"{model['skew']:g} by moneyness{edge})"
    )


def _rate_words(data: dict[str, Any]) -> str:
    rate = data["rate"]
    said = "as you gave it" if rate["source"] == "stated" else "the safe rate the backtests use"
    return f"rate {percent(rate['safe_rate'], 2)} a year, compounded daily ({said})"


def _delta_words(data: dict[str, Any], name: str, index: bool) -> str:
    delta, kind = float(data["delta"]), data["kind"]
    way = "falls" if kind == "put" else "rises"
    if index:
        return f"Delta {delta:.2f}: the {kind} gains about {abs(delta):.2f} of a point for each point {name} {way}."
    return f"Delta {delta:.2f}: the {kind} gains about {money_text(abs(delta))} for each $1 {name} {way}."


def quote_sentence(data: dict[str, Any], ask: OptionAsk) -> str:
    """One `price_option` result in words (see the module docstring)."""
    index = data["underlying"] == INDEX
    name = "the S&P 500 index" if index else data["underlying"]
    price = (
        f"{data['price']:,.2f} index points" if index else f"{money_text(data['price'])} a share"
    )
    value = "the index's level" if index else "the stock's value"
    tenor, period, taken = _tenor_words(data, ask)
    assumed = f" Assumed: {'; '.join(data['assumed'])}." if data.get("assumed") else ""
    return (
        f"{_article(tenor)} {tenor} European {data['kind']} on {name}{taken} struck "
        f"{_strike_words(data, ask, index)} costs about {price}, {percent(data['share_of_spot'])} of "
        f"{value} (about {percent(data['annualised'])} a year if bought again every {period}). "
        "Priced as the strategy backtests and paper hedges price their options: "
        f"Black-Scholes-Merton, no dividend yield; {_volatility_words(data, name)}; "
        f"{_rate_words(data)}. {_delta_words(data, name, index)}{assumed} The market data ends "
        f"{data['data_end']}."
    )
