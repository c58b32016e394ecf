"""The owner a local process acts as."""

LOCAL_OWNER = "local"
"""The owner the command line acts as and `stratigos serve` signs in (the API authenticates
its other users)."""
