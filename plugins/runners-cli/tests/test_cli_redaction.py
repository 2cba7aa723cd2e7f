"""No secret in what the runners command prints, for every URL shape and every command."""

from __future__ import annotations

import pytest
from cli_helpers import ASSISTANT, Invoke

SHAPES = {
    "postgres userinfo": ("postgresql://u:Sekr1tA@127.0.0.1:1/db", ["Sekr1tA"]),
    "postgres ?password=": ("postgresql://u@127.0.0.1:1/db?password=Sekr1tB", ["Sekr1tB"]),
    "postgres unencoded #": ("postgresql://u:Se#kr1tC@127.0.0.1:1/db", ["kr1tC"]),
    "postgres unencoded /": ("postgresql://u:Se/kr1tD@127.0.0.1:1/db", ["kr1tD"]),
    "libpq key=value": ("host=127.0.0.1 port=1 user=u password=Sekr1tH dbname=db", ["Sekr1tH"]),
    "sqlite userinfo": ("sqlite://u:Sekr1tJ@/x.db", ["Sekr1tJ"]),
    "memory userinfo": ("memory://u:Sekr1tK@", ["Sekr1tK"]),
    "redis userinfo": ("redis://:Sekr1tL@127.0.0.1:1/0", ["Sekr1tL"]),
    "redis ?password=": ("redis://127.0.0.1:1/0?password=Sekr1tM", ["Sekr1tM"]),
    "redis bad port": ("redis://u:Sekr1tN@127.0.0.1:abc/0", ["Sekr1tN"]),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize(
    "command",
    [
        ("config",),
        ("config", "--json"),
        ("doctor",),
        ("doctor", "--json"),
        ("run", ASSISTANT, "-m", "hi"),
        ("sessions", "list", "--app", "a"),
    ],
)
def test_no_command_prints_the_secret(cli: Invoke, shape: str, command: tuple[str, ...]) -> None:
    url, secrets = SHAPES[shape]
    result = cli(*command, env={"RUNNERS_CORE_SESSION_SERVICE": url})
    for secret in secrets:
        assert secret not in result.stdout and secret not in result.stderr, (
            f"{' '.join(command)} with {shape}: {result.stdout}{result.stderr}"
        )
