"""The store suite's fixtures for service tests that run on both backends: `store` (SQLite, or
DynamoDB + S3 on a moto server on loopback) and what it needs. A module's own `store` or
`clock` fixture takes precedence."""

from tests.store.conftest import aws_env, aws_names, clock, moto_endpoint, store  # noqa: F401
