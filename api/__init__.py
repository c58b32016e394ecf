"""Interfaces: the command line (`stratigos`); the HTTP API, Lambda handler and web UI join later."""
