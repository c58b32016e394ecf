"""Action layer: typed LangChain tools over `quant` and the compute jobs."""
