"""Jobs: the lifecycle of long-running work and the compute backends that run sweep batches.

`jobs.batches` describes one shard of a sweep batch (configs x one scenario x its paths) and
evaluates it; `jobs.backends` runs lists of shards on a local process pool, a Ray cluster or
SageMaker Processing; `python -m jobs.entrypoint` is the SageMaker Processing container's entry
point. This package imports nothing from `graphs/`, `agents/` or `api/`.
"""
