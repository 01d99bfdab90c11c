"""The HTTP layer: REST API under /api/v1, OpenAI-compatible /v1, health, metrics, dashboard."""

from reservoir.api.app import create_app

__all__ = ["create_app"]
