"""Khumkrong's workflow engine: protocols, cases, work items and time.

Usable as a library on its own; it never imports the web app (`api`).
"""
