"""Every command documents itself: a help text that ends with an example."""

from __future__ import annotations

import typer.main

from harness.cli import app


def _commands(group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        path = (*prefix, name)
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, path)
        yield path, cmd  # groups too: `harness rules --help` ends with an example


def test_every_command_has_help_ending_with_an_example():
    root = typer.main.get_command(app)
    found = {(): root, **dict(_commands(root))}
    expected = {
        ("proxy",),
        ("flows",),
        ("stats",),
        ("replay",),
        ("runs",),
        ("learn",),
        ("mock",),
        ("report",),
        ("demo",),
        ("sim", "serve"),
        ("sim", "traffic"),
        ("rules", "list"),
        ("rules", "show"),
        ("rules", "confirm"),
        ("rules", "retire"),
        ("rules", "export"),
        ("rules",),
        ("sim",),
        ("db",),
        ("db", "upgrade"),
        ("db", "current"),
        ("prune",),
        ("status",),
        ("import",),
        ("flows", "export"),
        (),
    }
    assert expected <= set(found)
    for path, cmd in found.items():
        text = (cmd.help or "").strip()
        assert text, path
        last = text.splitlines()[-1].strip()
        assert last.startswith(" ".join(("Example: harness", *path))), (path, last)
