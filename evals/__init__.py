"""`stratigos eval`: cases that measure what a model decides, a runner, scorers and reports.

Cases live in `evals/cases/*.toml` (`evals.cases`); `evals.case_run` runs each in a temporary data
directory through the product's own chat graph (`graphs.chat.ChatSession`) with a provider's
settings; `evals.scorers` score the trace; `evals.report` renders a table, JSON or HTML.
"""
