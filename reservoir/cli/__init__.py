"""Typer command line: thin commands over the memory queries and the graph runner."""
