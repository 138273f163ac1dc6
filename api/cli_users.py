"""``khumkrong users``: accounts for people who sign in to the API (placeholder, filled in below)."""
from __future__ import annotations

import typer

users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
