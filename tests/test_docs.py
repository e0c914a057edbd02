"""The README stays honest: every command is documented there and has help; the set-up and test
commands it gives are the ones CI runs."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialtech_cli.cli import app

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8") if (REPO / "README.md").exists() else ""
COMMANDS = [
    "classify",
    "categories",
    "batch",
    "validate",
    "train",
    "evaluate",
    "review",
    "model",
    "rules audit",
]
runner = CliRunner()


@pytest.mark.skipif(not README, reason="needs the source tree")
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme_and_has_help(command):
    assert f"socialtech {command}" in README
    r = runner.invoke(app, [*command.split(), "--help"])
    assert r.exit_code == 0 and "Usage" in r.output


@pytest.mark.skipif(not README, reason="needs the source tree")
def test_readme_commands_are_the_ci_commands():
    block = (
        re.search(r"## Set-up \(two commands\).*?```sh\n(.*?)```", README, re.S).group(1).strip().splitlines()
    )
    assert len(block) == 2
    ci = (REPO / ".ci" / "run").read_text()
    assert block[1].strip() in ci.splitlines()  # the test command
    assert 'pip install ".[dev]"' in block[0] and "socialtech classify" in block[0]
