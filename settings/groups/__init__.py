"""The groups of `Settings`, one module each: which settings belong together, their defaults and
validation (each group's environment variables start with its `env_prefix`)."""
