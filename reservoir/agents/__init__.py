"""Agents of the discovery and ask graphs, each with a deterministic strategy beside its LLM one.

The extractive strategy (``extractive``, ``taxonomy``, ``catalogue``) needs no model and never
invents a fact: everything it returns is a sentence of the document or derived from one.
"""
