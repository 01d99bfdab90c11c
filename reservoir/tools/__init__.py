"""Tools the agents use to reach the outside world safely (fetching, extraction, sources)."""
