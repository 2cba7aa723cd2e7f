"""Service URLs and their options, generated: built, or refused with a runners-core error,
and never a secret in the error text or the service's repr.

Services are only built, never used, so nothing connects anywhere: hosts are loopback
ports nothing listens on, and file paths lie under the test's temporary directory.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runners_core.errors import RunnersError
from runners_core.plugins.manager import LoadedPlugins, load_plugins
from runners_core.services import service_from_url

SECRET = "Pw7Secret"
"""Starts and ends every generated password (and secret option value)."""

SCHEMES = ("sqlite", "postgresql", "postgres", "redis", "rediss", "memory", "file", "s3", "nope")
OPTION_NAMES = (
    "prefix", "ttl", "lease", "allow_eviction", "db", "max_connections", "ssl_cert_reqs",
    "socket_timeout", "busy_timeout", "synchronous", "event_cache_mb", "schema", "pool_min",
    "pool_max", "pool_timeout", "sslmode", "connect_timeout", "endpoint_url", "region",
    "password", "sslpassword", "aws_secret_access_key", "secret", "token", "x",
)  # fmt: skip
SECRET_OPTIONS = ("password", "sslpassword", "aws_secret_access_key", "secret", "token")
_JUNK = "#/@:%?&=+ ;"


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> LoadedPlugins:
    """Every installed plugin (the kernel tests' default is none)."""
    monkeypatch.delenv("RUNNERS_CORE_PLUGINS", raising=False)
    return load_plugins()


def passwords() -> st.SearchStrategy[str]:
    middle = st.text(alphabet=_JUNK + "abc", max_size=6)
    return middle.map(lambda m: f"{SECRET}{m}{SECRET}")


def option_values(name: str) -> st.SearchStrategy[str]:
    if name in SECRET_OPTIONS:  # '&' and '#' would end the value: written encoded
        return passwords().map(lambda p: p.replace("&", "%26").replace("#", "%23"))
    return st.one_of(
        st.sampled_from(["0", "-1", "1.5", "inf", "nan", "1e400", "true", "yes", "", "abc"]),
        st.text(max_size=6),
    )


@st.composite
def urls(draw: st.DrawFn, root: str) -> str:
    scheme = draw(st.sampled_from(SCHEMES))
    password = draw(passwords())
    encode = draw(st.booleans())
    userinfo = draw(
        st.sampled_from(["", f"bob:{password}@", f"bob:{quote(password, safe='')}@"])
        if encode
        else st.sampled_from(["", f"bob:{password}@", f":{password}@"])
    )
    if scheme in ("sqlite", "file"):
        where = f"/{root}/{draw(st.text(alphabet='ab.', min_size=1, max_size=4))}"
    elif scheme == "memory":
        where = ""
    elif scheme == "s3":
        where = "bucket-a/prefix"
    else:
        where = "127.0.0.1:1/" + draw(st.sampled_from(["", "0", "test", "x/y"]))
    names = draw(st.lists(st.sampled_from(OPTION_NAMES), max_size=3, unique=True))
    query = "&".join(f"{name}={draw(option_values(name))}" for name in names)
    return f"{scheme}://{userinfo}{where}" + (f"?{query}" if query else "")


@pytest.mark.parametrize("kind", ["session", "memory", "artifact"])
@given(data=st.data())
def test_a_url_builds_a_service_or_is_refused_without_its_secrets(
    plugins: LoadedPlugins, tmp_path: Path, kind: str, data: st.DataObject
) -> None:
    url = data.draw(urls(str(tmp_path).strip("/")), label="url")
    try:
        service = service_from_url(kind, url, plugins=plugins)
    except RunnersError as exc:
        text = f"{exc} {exc.__cause__ or ''}"
        assert SECRET not in text, f"a secret of {url!r} is in the error: {text}"
        return
    except Exception as exc:
        raise AssertionError(f"{url!r} raised {type(exc).__name__}: {exc}") from exc
    try:
        assert SECRET not in repr(service), f"a secret of {url!r} is in {service!r}"
    finally:
        asyncio.run(service.close())
