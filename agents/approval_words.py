"""An answer to a pending approval said in words ("yes, go ahead", "approve", "no, cancel
it"): a message of approval or rejection words and fillers only. Any model's thread takes such a
message as the answer it says (`graphs.chat.ChatSession.send`), and the offline model reads it
as that intent."""

from __future__ import annotations

from typing import Literal

from settings import patterns

_WORDS = patterns.compile(r"[a-z']+")
_STATED = patterns.compile(r"[\d$%€£]")
"""A number, an amount or a share: what a message changing the proposal states."""


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


APPROVE_STRONG = _set(
    "yes yeah yep yup ok okay sure approve approved confirm confirmed proceed go lgtm do launch "
    "ship run start agreed"
)
"""Words that approve on their own."""

APPROVE_PHRASE = patterns.compile(
    r"\b(?:sounds|looks) (?:good|great|fine)\b|\bperfect\b|fine by me"
)
"""Phrases that approve."""

APPROVE_FILLER = _set(
    "please thanks thank you now then it that this the ahead for with plan looks sounds let's "
    "lets i and all right alright good great fine perfect by me that's it's search deployment "
    "proposal job"
)
"""Words an approval may hold besides its own."""

REJECT_STRONG = _set(
    "no nope nah not cancel cancelled abort stop reject rejected don't dont never forget scrap "
    "drop decline declined"
)
"""Words that reject on their own."""

REJECT_FILLER = _set(
    "please thanks it that this the run plan i mind do changed my actually let's lets want to "
    "now thank you search deployment proposal job"
)
"""Words a rejection may hold besides its own."""


_KINDS = {
    "search": patterns.compile(r"\b(?:search|job|optimi[sz]ation)\b"),
    "deployment": patterns.compile(r"\bdeploy(?:ment|ing)?\b"),
}
"""The kinds of proposal a decision in words may name ("approve the deployment")."""


def kinds_named(text: str) -> frozenset[str]:
    """The kinds of proposal ("search", "deployment") `text` names."""
    low = text.lower()
    return frozenset(kind for kind, pattern in _KINDS.items() if pattern.search(low))


def decision_said(text: str) -> Literal["approve", "reject"] | None:
    """ "approve" or "reject" when `text` says only that (its words all approval, or all
    rejection, words and fillers), else None."""
    low = text.lower()
    said = set(_WORDS.findall(low))
    if not said or _STATED.search(low):  # "do it for 2015", "yes, 15%": a change, not an answer
        return None
    if said & REJECT_STRONG and said <= REJECT_STRONG | REJECT_FILLER:
        return "reject"
    approving = bool(said & APPROVE_STRONG) or bool(APPROVE_PHRASE.search(low))
    if approving and said <= APPROVE_STRONG | APPROVE_FILLER:
        return "approve"
    return None


__all__ = ["decision_said", "kinds_named"]
