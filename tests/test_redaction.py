"""No secret in any message: every URL shape through every error path of every backend."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

import pytest

from runners_core import load_config, load_plugins
from runners_core.redaction import redact, redact_url, secrets_in
from runners_core.services import service_from_url

# Each shape writes its secret in a way that has leaked before (or could).
SHAPES = {
    "postgres userinfo": "postgresql://u:Sekr1tA@127.0.0.1:1/db",
    "postgres ?password=": "postgresql://u@127.0.0.1:1/db?password=Sekr1tB&sslmode=disable",
    "postgres unencoded #": "postgresql://u:Se#kr1tC@127.0.0.1:1/db",
    "postgres unencoded /": "postgresql://u:Se/kr1tD@127.0.0.1:1/db",
    "postgres percent-encoded": f"postgresql://u:{quote('Se@kr1tE:!', safe='')}@127.0.0.1:1/db",
    "postgres bad port": "postgresql://u:Sekr1tF@127.0.0.1:abc/db",
    "postgres bad option": "postgresql://u:Sekr1tG@127.0.0.1:1/db?pool_max=lots",
    "libpq key=value": "host=127.0.0.1 port=1 user=u password=Sekr1tH dbname=db",
    "libpq quoted": "host=127.0.0.1 password='Se kr1tI' dbname=db",
    "sqlite userinfo": "sqlite://u:Sekr1tJ@/x.db",
    "memory userinfo": "memory://u:Sekr1tK@",
    "redis userinfo": "redis://:Sekr1tL@127.0.0.1:1/0",
    "redis ?password=": "redis://127.0.0.1:1/0?password=Sekr1tM",
    "redis bad port": "redis://u:Sekr1tN@127.0.0.1:abc/0",
    "rediss bad option": "rediss://u:Sekr1tO@127.0.0.1:1/0?max_connections=abc",
    "unknown scheme": "mysql://u:Sekr1tP@127.0.0.1:1/db",
    "file userinfo": "file://u:Sekr1tQ@/tmp/x",
}
SECRETS = {
    "postgres userinfo": ["Sekr1tA"],
    "postgres ?password=": ["Sekr1tB"],
    "postgres unencoded #": ["Se#kr1tC", "kr1tC"],
    "postgres unencoded /": ["Se/kr1tD", "kr1tD"],
    "postgres percent-encoded": ["Se@kr1tE:!", "Se%40kr1tE", "kr1tE"],
    "postgres bad port": ["Sekr1tF"],
    "postgres bad option": ["Sekr1tG"],
    "libpq key=value": ["Sekr1tH"],
    "libpq quoted": ["Se kr1tI", "kr1tI"],
    "sqlite userinfo": ["Sekr1tJ"],
    "memory userinfo": ["Sekr1tK"],
    "redis userinfo": ["Sekr1tL"],
    "redis ?password=": ["Sekr1tM"],
    "redis bad port": ["Sekr1tN"],
    "rediss bad option": ["Sekr1tO"],
    "unknown scheme": ["Sekr1tP"],
    "file userinfo": ["Sekr1tQ"],
}


def assert_clean(text: str, shape: str) -> None:
    for secret in SECRETS[shape]:
        assert secret not in text, f"{shape}: {secret!r} leaked in {text!r}"


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_redact_hides_the_secret_of_every_shape(shape: str) -> None:
    url = SHAPES[shape]
    assert_clean(redact(url), shape)
    assert_clean(redact_url(url), shape)
    assert_clean(redact(f"failed at {url} (details)"), shape)
    # A driver that echoes the bare secret is scrubbed by the secrets the URL holds.
    if shape not in ("postgres unencoded #", "postgres unencoded /", "libpq quoted"):
        bare = SECRETS[shape][0]
        assert_clean(redact(f"driver said {bare}", secrets_in(url)), shape)


def test_redact_keeps_what_is_not_secret() -> None:
    assert (
        redact("postgresql://u:pw1@db:5432/x?schema=s") == "postgresql://u:***@db:5432/x?schema=s"
    )
    assert redact("sqlite:///.runners/sessions.db") == "sqlite:///.runners/sessions.db"
    assert redact("redis://127.0.0.1:6379/0?prefix=a") == "redis://127.0.0.1:6379/0?prefix=a"
    assert redact("host=db password=pw1 dbname=x") == "host=db password=*** dbname=x"
    assert redact("pool_max=5 and schema=runners") == "pool_max=5 and schema=runners"


async def _use(kind: str, service: object) -> None:
    if kind == "session":
        await service.list_sessions(app_name="a")  # type: ignore[attr-defined]
    elif kind == "memory":
        await service.search_memory(app_name="a", user_id="u", query="x")  # type: ignore[attr-defined]
    else:
        await service.list_artifact_keys(app_name="a", user_id="u")  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["session", "memory", "artifact"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_no_error_or_log_of_any_backend_shows_the_secret(
    shape: str, kind: str, caplog: pytest.LogCaptureFixture, tmp_path
) -> None:
    """Build the service from the URL and use it: whatever fails must not show the secret."""
    caplog.set_level(logging.DEBUG)
    loaded = load_plugins(load_config(environ={}))  # every installed backend
    url = SHAPES[shape].replace("/tmp/x", str(tmp_path / "files"))
    messages = []
    try:
        service = service_from_url(kind, url, plugins=loaded)
    except Exception as exc:
        messages.append(f"{exc!s} {exc!r}")
    else:
        try:
            asyncio.run(asyncio.wait_for(_use(kind, service), 30))
        except Exception as exc:
            messages.append(f"{exc!s} {exc!r}")
        messages.append(repr(service))
        close = getattr(service, "close", None)
        if close is not None:
            try:
                asyncio.run(close())
            except Exception as exc:
                messages.append(str(exc))
    for message in messages:
        assert_clean(message, shape)
    assert_clean(caplog.text, shape)
