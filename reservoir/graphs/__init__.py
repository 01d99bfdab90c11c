"""LangGraph graphs (discovery, ask), their state, runtime context and the runner."""
