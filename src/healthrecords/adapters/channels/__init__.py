"""Fan-out to WebSockets through Litestar channels (Redis pub/sub or in memory)."""
