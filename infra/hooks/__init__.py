"""Functions of the CDK app that run on Lambda beside the application (deployment hooks)."""
