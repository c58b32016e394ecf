"""Research: parsing and chunking of the documents library (embeddings and the hybrid index are
to come). Pure domain code: bytes in, text and references out; no I/O, no store."""
