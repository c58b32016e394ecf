"""The Agent Protocol as the API serves it: the assistants (`assistants`), what a run request
asks for (`run_requests`), chat turns run in-process (`chat_runs`), their stored records and
leases (`run_records`), and runs of the `optimization` assistant that follow an optimization
job (`optimization_runs`). The routes are `api.routes.agent_runs` and `api.routes.agent_threads`."""
