"""Tests of the typed tools (tools/)."""
