"""The offline model: a deterministic rules engine behind the LangChain chat-model interface.

`OfflineChatModel` delegates each reply to the policy registered for its agent role
(`register_policy`); `parse_intent` reads a portfolio manager's chat message into an intent and
slots. Nothing here calls the network or a language model.

Importing this package installs the built-in rules: the chat's (`chat_policies`: the supervisor's
routing) and the four workflow agents' (`workflow_policies`, which also answer in the chat). Only
the model factory (`agents.models.chat_model`) imports it in production code, and only when the
configured provider is ``offline``.
"""

from agents.offline import chat_policies, workflow_policies  # noqa: F401  (they register)
from agents.offline.intent import Intent, IntentName, parse_intent
from agents.offline.model import OfflineChatModel, normalise_tool_choice
from agents.offline.policies import (
    Policy,
    PolicyInput,
    ToolResult,
    default_policy,
    fill_arguments,
    get_policy,
    register_policy,
    registered_roles,
    reply,
    tool_call,
    unregister_policy,
)

__all__ = [
    "Intent",
    "IntentName",
    "OfflineChatModel",
    "Policy",
    "PolicyInput",
    "ToolResult",
    "default_policy",
    "fill_arguments",
    "get_policy",
    "normalise_tool_choice",
    "parse_intent",
    "register_policy",
    "registered_roles",
    "reply",
    "tool_call",
    "unregister_policy",
]
