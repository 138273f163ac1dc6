"""The deployment examples in deploy/ stay true to the code: the env file documents every
setting and names no other, and every command the systemd units run is one the CLI accepts."""
from __future__ import annotations

import re
import shlex

import pytest
import typer

from api.cli import app
from engine.settings import PROJECT_ROOT, Settings

DEPLOY = PROJECT_ROOT / "deploy"
# Read by other code than Settings: the demo loader and the static files.
OTHER_VARIABLES = {"KHUMKRONG_DEMO_PASSWORD", "KHUMKRONG_NODE_MODULES"}


def test_the_env_file_documents_every_setting_and_nothing_else():
    text = (DEPLOY / "khumkrong.env").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?(KHUMKRONG_[A-Z_]+)=", text, flags=re.MULTILINE))
    settings = {f"KHUMKRONG_{name.upper()}" for name in Settings.model_fields}
    assert settings - named == set(), "document these in deploy/khumkrong.env"
    assert named - settings - OTHER_VARIABLES == set(), "deploy/khumkrong.env names variables nothing reads"
    assert "PROMETHEUS_MULTIPROC_DIR=" in text


def _khumkrong_commands():
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        for line in unit.read_text(encoding="utf-8").splitlines():
            if line.startswith("ExecStart=") and "khumkrong" in line:
                words = shlex.split(line.removeprefix("ExecStart=").replace("%%", "%"))
                if words[0] == "/bin/sh":  # sh -c 'exec …/khumkrong backup "…"'
                    words = shlex.split(words[-1])[1:]
                at = next(i for i, word in enumerate(words) if word.endswith("/khumkrong"))
                yield pytest.param(words[at + 1:], id=unit.name)


@pytest.mark.parametrize("arguments", list(_khumkrong_commands()))
def test_every_unit_runs_a_command_the_cli_accepts(arguments):
    command, words = typer.main.get_command(app), list(arguments)
    # Down the command groups (`db upgrade`) to the command, whose options must parse.
    while hasattr(command, "commands"):
        assert words and words[0] in command.commands, f"{arguments}: no command {words[:1]}"
        command, words = command.commands[words[0]], words[1:]
    command.make_context(arguments[-1], words)  # raises on an unknown option or a bad value


def test_the_proxies_keep_metrics_private_and_check_readiness():
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    nginx = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert "respond /metrics 404" in caddy and "location = /metrics { return 404; }" in nginx
    assert "health_uri /readyz" in caddy
    assert "X-Forwarded-For $remote_addr" in nginx  # replaced, never appended to what a client sent
