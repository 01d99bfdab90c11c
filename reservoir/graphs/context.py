"""Run-scoped dependencies handed to every node as LangGraph runtime context.

They live in `reservoir.deps` (below the agents); this name stays for existing imports.
"""

from __future__ import annotations

from reservoir.deps import Deps

__all__ = ["Deps"]
