"""A question which of the conversation's stocks held up better ("which would hold up better?",
"which lost more?") after stress tests of them in one scenario, episode or market move: the
same stress asked of them side by side ("which would hold up better in a bear market, KO or
PEP?"), so it is answered each stock on its own, not as a search or a question what to do."""

from __future__ import annotations

from agents.offline.policies import PolicyInput
from settings import patterns

__all__ = ["stress_asked_again"]

_HELD_UP_COMPARED = patterns.compile(
    r"\b(?:hold|holds|held|come|came|fare[sd]?|do|did|does|lose|lost|fall|fell|drop(?:ped)?"
    r"|suffer(?:ed)?|survive[sd]?)\b[^.?!]{0,30}?\b(?:better|worse|best|worst|more|less|most"
    r"|least)\b"
)
"""A question which stock held up better or lost more ("which would hold up better?")."""
_SCENARIO_SAID = {"bear": "in a bear market", "bull": "in a bull market",
                  "high_vol": "in a high-volatility market", "low_vol": "in a low-volatility market",
                  "base": "in the base case"}  # fmt: skip
_EPISODE_SAID = {"gfc_2008": "in the 2008 crisis", "covid_2020": "in the covid crash",
                 "rates_2022": "in the 2022 rate shock"}  # fmt: skip


def _stressed_in(inp: PolicyInput) -> str | None:
    """The question of the conversation's latest stress test of one scenario, episode or market
    move asked of stocks side by side ("which would hold up better in a bear market"), or None
    when its latest call was no such stress test."""
    latest = inp.latest_call_before_turn()
    if latest is None or latest["name"] != "stress_test":
        return None
    args = latest["args"]
    said = [_SCENARIO_SAID.get(str(name)) for name in args.get("scenarios") or []]
    said += [_EPISODE_SAID.get(str(key)) for key in args.get("episodes") or []]
    if (move := args.get("market_move")) is not None:
        said.append(f"if the market {'falls' if move < 0 else 'rises'} {abs(move):.0%}")
    if len(said) != 1 or said[0] is None:
        return None
    tense = "held up better" if args.get("episodes") else "would hold up better"
    return f"which {tense} {said[0]}"


def stress_asked_again(inp: PolicyInput, text: str) -> str | None:
    """`text`, a question which stock held up better, as the question of the conversation's
    latest stress test ("which would hold up better in a bear market"); None when it is no
    such question or the latest call was no stress test of one case."""
    return _stressed_in(inp) if _HELD_UP_COMPARED.search(text) else None
