"""The stacks of one stage: foundation -> compute -> api -> operations."""
