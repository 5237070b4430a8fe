"""Tandem's edges: the command line today; HTTP and WebSocket later."""
