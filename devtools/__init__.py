"""Developer tools: the local Bedrock-compatible endpoint, recording and replaying agent runs as
vcrpy cassettes, and the pytest plugin that records and replays them in a project's own tests.

Production code never imports this package (docs/architecture.md); the command line reaches
it only from its developer commands (``record``, ``replay``, ``bedrock-local`` and the
``--record`` options).
"""
