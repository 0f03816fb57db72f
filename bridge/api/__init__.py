"""The bridge's HTTP API (FastAPI), versioned under /v1."""
