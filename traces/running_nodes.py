"""`RunningNodes`: which nodes of a LangGraph run are executing, per subgraph namespace, and
which agent each belongs to; what `traces.recorder.TraceRecorder` turns into `node_started`
and `node_finished` events.

A node is keyed by its namespace (`parents`: the enclosing subgraph nodes, outermost first) and
its name. Parallel executions of one node (`Send` fan-out) are told apart by their task ids
(LangGraph's `langgraph_checkpoint_ns`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prompts.roles import AGENT_ROLES, AgentRole

Namespace = tuple[str, ...]
"""The names of a node's enclosing subgraph nodes, outermost first."""
Started = tuple[Namespace, str, AgentRole | None]
"""A node execution that has just started: its namespace, name and agent."""


def as_role(value: Any) -> AgentRole | None:
    """`value` if it names an agent role, else None."""
    return value if isinstance(value, str) and value in AGENT_ROLES else None


@dataclass
class _OpenNode:
    agent: AgentRole | None
    order: int
    running: int = 1
    tasks: set[str] = field(default_factory=set)


class RunningNodes:
    """The node executions under way. `node_agents` maps node names to agents for nodes whose
    stream items carry no agent; a node named like a role is that agent."""

    def __init__(self, node_agents: Mapping[str, AgentRole] | None = None) -> None:
        self._node_agents = dict(node_agents or {})
        self._open: dict[tuple[Namespace, str], _OpenNode] = {}
        self._order = 0

    def agent_for(
        self, parents: Namespace, node: str | None, explicit: Any = None
    ) -> AgentRole | None:
        """Agent of a node: explicit (payload or metadata `agent`), else the agent already known
        for the running node, else `node_agents` or a role-named node, else the same for the
        enclosing subgraph nodes, innermost first."""
        role = as_role(explicit)
        if role is not None:
            return role
        levels: list[tuple[Namespace, str]] = [] if node is None else [(parents, node)]
        levels += [(parents[:i], parents[i]) for i in reversed(range(len(parents)))]
        for where, name in levels:
            known = self._open.get((where, name))
            if known is not None and known.agent is not None:
                return known.agent
            if name in self._node_agents:
                return self._node_agents[name]
            role = as_role(name)
            if role is not None:
                return role
        return None

    def start(
        self,
        parents: Namespace,
        node: str,
        agent: AgentRole | None,
        task: str | None = None,
    ) -> list[Started]:
        """Mark the node, and first its enclosing subgraph nodes, running unless they are;
        returns the executions that start now, outermost first. Enclosing nodes without a known
        agent take the inner node's agent.

        `task` (unique per node execution) tells parallel executions of one node apart: a new
        task id of a running node starts another execution, ended by its own `finish`."""
        started: list[Started] = []
        for i in range(len(parents)):
            outer = (parents[:i], parents[i])
            if outer not in self._open:
                outer_agent = self.agent_for(*outer) or agent
                started += self.start(outer[0], outer[1], outer_agent)
        key = (parents, node)
        info = self._open.get(key)
        if info is not None:
            if info.agent is None and agent is not None:
                info.agent = agent
            if task is None or task in info.tasks:
                return started
            known = bool(info.tasks)
            info.tasks.add(task)
            if not known:  # the running execution's task id, learnt now
                return started
            info.running += 1
            self._order += 1
            info.order = self._order
        else:
            self._order += 1
            self._open[key] = _OpenNode(
                agent=agent, order=self._order, tasks={task} if task else set()
            )
        started.append((parents, node, agent))
        return started

    def agent_of(self, parents: Namespace, node: str) -> AgentRole | None:
        """The agent of a running node (`KeyError` if it is not running)."""
        return self._open[(parents, node)].agent

    def finish(self, parents: Namespace, node: str) -> None:
        """One execution of a running node ended (`KeyError` if it is not running)."""
        info = self._open[(parents, node)]
        info.running -= 1
        if info.running <= 0:
            del self._open[(parents, node)]

    def current(self, parents: Namespace) -> str | None:
        """The most recently started node still running in this namespace."""
        candidates = [(info.order, node) for (p, node), info in self._open.items() if p == parents]
        return max(candidates)[1] if candidates else None
