"""Orchestration layer: the LangGraph `optimization` and `assistant` graphs."""

RECURSION_LIMIT = 100_000
"""LangGraph steps allowed per invocation (an optimization run, about four steps per batch, or a
chat turn); the trial, time and step budgets end both long before."""
