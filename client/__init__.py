"""The Flet app: child mode and parent mode (built with the client issue)."""
