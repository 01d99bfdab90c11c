"""One router per resource; each route calls memory or runner functions and nothing more."""
