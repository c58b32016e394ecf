"""The fixed texts the agents' code writes into a conversation, beneath both the agents that write
them and the offline model that reads them.

- `DECISION_PROMPT`, `RETRY_PROMPT`: the human messages with which `agents.agent_loop` asks an
  agent for its structured decision, and again after an invalid one (``{schema}`` is the
  decision's class name, ``{problem}`` what was wrong). They are not the user's words: the
  offline model skips them when it looks for the user's latest message.
- `LAST_RUN_MARKER`: the prefix of the system message through which the chat (`graphs.assistant`)
  hands the explanation agent the thread's last run (the run as canonical JSON follows it).

- `PROPOSAL_MARKER`: the prefix of the system message through which the chat hands the supervisor
  the proposal (a search or a deployment) waiting for approval when the user's message is not a
  decision (the proposal as canonical JSON follows it: `kind`, `status`, `summary`, `request`).

- `EARLIER_RUN_MARKER`: the prefix of the system message that keeps a thread's latest finished
  strategy search in an agent's view when its answer ("Run job_... succeeded. ...", `RUN_DONE`)
  is older than the messages the agent is sent (`agents.chat.HISTORY`); canonical JSON follows
  it: the `answer`, and `followed_by_other_work` (tools were called after it, out of view too:
  it is not the conversation's latest subject).

Their values are part of every recorded model request (tests/cassettes): they never change.
"""

from settings import patterns

DECISION_PROMPT = "Give your decision now, as {schema}."
"""The message that asks an agent for its structured decision."""
RETRY_PROMPT = "That decision was not valid: {problem}. Answer again, as {schema}."
"""The message that asks again after a decision that did not validate."""

LAST_RUN_MARKER = "LAST_RUN:"
"""Prefix of the system message through which the chat hands the explanation agent the last run."""
PROPOSAL_MARKER = "WAITING_PROPOSAL:"
"""Prefix of the system message through which the chat hands the supervisor the proposal that
waits for approval while the user asks something else."""
EARLIER_RUN_MARKER = "EARLIER_RUN:"
"""Prefix of the system message that keeps the thread's latest finished search in view."""

RUN_DONE = patterns.compile(r"\bRun (?:run|job)_[0-9a-z]+ succeeded\b")
"""The assistant's answer once an approved strategy search finished: a bare run's ("run_...") or
an owner's job's ("job_...", every search run from the API or the command line as its owner)."""
