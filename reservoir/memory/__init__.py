"""Persistent memory: SQL tables and queries, vector store, embeddings, checkpointers."""
