"""Research: parsing and chunking of the documents library, and text embeddings
(`research.embeddings`: the interface, the offline embedder and `embedder_for`); the hybrid
index is to come. Domain code: bytes in, text, references and vectors out; no store. The one
network caller is `research.bedrock_embeddings` (Titan Text Embeddings V2 on Bedrock)."""
