"""Research: parsing and chunking of the documents library, text embeddings (`research.embeddings`:
the interface and the offline embedder; `research.embedder_factory.embedder_for`: the configured
one) and the hybrid index (`research.index`). Domain code: bytes in, text, references and vectors
out; no store. The one network caller is `research.bedrock_embeddings` (Titan Text Embeddings V2
on Bedrock)."""
