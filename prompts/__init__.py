"""Versioned prompt files of the agents."""
