"""Orchestration layer: the LangGraph `optimization` and `assistant` graphs."""
