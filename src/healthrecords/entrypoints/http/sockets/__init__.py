"""WebSocket routes."""
