"""The injected clock and the SQLite store on it (`tests.support.dated_store`)."""

from tests.support.dated_store import clock, store

__all__ = ["clock", "store"]
