"""Khumkrong's front doors: the HTTP API (and, later, the server-rendered pages) and the CLI."""
