"""The search pipeline: five steps defined once (`jobs.pipeline.steps.SEARCH_PIPELINE`: data
validation, scenario generation, distributed optimization, optional training, results
aggregation), run by three engines: in this process (`engines.run_here`, the embedded
default), on Ray (`engines.run_on_ray`) and on SageMaker Pipelines (`sagemaker_definition`,
`sagemaker_pipeline`; `local_execution` executes a definition's steps on this machine).

The steps' code is the optimization graph's (`graphs.search_steps`), found by name: `jobs/`
never imports `graphs/`. See docs/pipeline.md.
"""
