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

Their values are part of every recorded model request (tests/cassettes): they never change.
"""

DECISION_PROMPT = "Give your decision now, as {schema}."
"""The message that asks an agent for its structured decision."""
RETRY_PROMPT = "That decision was not valid: {problem}. Answer again, as {schema}."
"""The message that asks again after a decision that did not validate."""

LAST_RUN_MARKER = "LAST_RUN:"
"""Prefix of the system message through which the chat hands the explanation agent the last run."""
PROPOSAL_MARKER = "WAITING_PROPOSAL:"
"""Prefix of the system message through which the chat hands the supervisor the proposal that
waits for approval while the user asks something else."""
