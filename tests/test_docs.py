"""Documentation is part of the contract: every setting and command is documented."""
from pathlib import Path

from shelter_ops.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented():
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [name for name in DEFAULTS if f"`SHELTER_OPS_{name}`" not in text]
    assert not missing, f"document these in docs/settings.md: {missing}"


def test_readme_shows_the_two_commands():
    lines = [line.strip() for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()]
    assert "make run" in lines and "make test" in lines


def test_every_cli_command_is_in_the_readme(app):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in app.cli.commands if f"shelter-ops {name}" not in readme]
    assert not missing, f"document these commands in README.md: {missing}"
