"""Keeping secrets out of messages, logs and command output: one function, :func:`redact`.

Every message that may show a service URL, a connection string or a driver's
error text goes through :func:`redact`. It hides

- the password of any ``scheme://user:password@host`` URL, whatever the scheme
  (``sqlite://`` and ``memory://`` too), also when the password holds an
  unencoded ``#``, ``/`` or ``?`` that make ordinary URL parsing cut it short;
- secret-looking query options (``?password=...``, ``sslpassword``, tokens, keys);
- ``password=...`` pairs of libpq ``key=value`` connection strings;
- any *known* secret verbatim (and percent-decoded), for driver messages that
  echo one outside a URL.

It never raises, and over-redacting is preferred to leaking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote

MASK = "***"

# Option names whose values are secrets (query options, key=value pairs, settings).
_SECRET_NAME = re.compile(
    r"passw(or)?d|\bpwd\b|secret|token|credential|api_?key|access_?key|private_?key"
    # 'key' as a word of the name: key, signing_key, DB_KEY (not monkey, keyboard).
    r"|(?<![a-z])key(?![a-z])",
    re.IGNORECASE,
)
# A URL starts at its scheme and runs to whitespace or a closing quote/bracket.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]*")
# key=value (libpq conninfo, or a query option): the value quoted or up to a separator.
_PAIR = re.compile(
    r"(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(?P<value>'(?:[^'\\]|\\.)*'|[^\s&;,)]*)"
)
# key=value in a URL's query: only '&' (or the fragment) ends a value there, as in parse_qsl.
_QUERY_PAIR = re.compile(r"(?P<key>[^&=#]+)=(?P<value>[^&#]*)")


def is_secret_name(name: str) -> bool:
    """Whether a setting or option called *name* holds a secret (``password``, ``api_key``...)."""
    return bool(_SECRET_NAME.search(name))


def redact(text: object, secrets: Iterable[str | None] = ()) -> str:
    """*text* with every password and secret option hidden; never raises.

    *secrets* are values known to be secret (e.g. from :func:`secrets_in`), removed
    wherever they appear, as given and percent-decoded.
    """
    try:
        result = str(text)
        # Known secrets first: the patterns below may mask part of one (a password
        # holding '='), after which the rest could no longer be recognised.
        for secret in _forms(secrets):
            result = result.replace(secret, MASK)
        result = _URL.sub(lambda m: _redact_url(m.group(0)), result)
        return _PAIR.sub(_redact_pair, result)
    except Exception:  # a message must still be produced, without the text
        return "<text withheld: it could not be checked for secrets>"


def redact_url(url: str) -> str:
    """A service URL fit for a message: :func:`redact` of it, also hiding a password
    that holds whitespace (the whole of *url* is known to be one URL here)."""
    return redact(url, url_secrets(url))


def url_secrets(url: str) -> list[str]:
    """The password and secret option values of *url*, taken as one whole URL (so a
    password with a space, which ends a URL inside free text, is still found)."""
    try:
        if "://" not in url:
            return []
        raw_query = url.partition("?")[2]
        found = [m["value"] for m in _QUERY_PAIR.finditer(raw_query) if is_secret_name(m["key"])]
        userinfo, _, query = _split_url(_query_first(url))
        if userinfo is not None and ":" in userinfo:
            password = userinfo.split(":", 1)[1]
            # Also the pieces ordinary URL parsing cuts it into at an unencoded / ? or #,
            # which drivers then echo as a host, port or option name.
            found.append(password)
        found.extend(m["value"] for m in _QUERY_PAIR.finditer(query) if is_secret_name(m["key"]))
        # Also the pieces ordinary parsing cuts a secret into at an unencoded delimiter
        # or whitespace, which drivers then echo as a host, port or option name.
        pieces = [piece for secret in found for piece in re.split(r"[/?#@\s=:;&+%]", secret)]
        return [secret for secret in (*found, *pieces) if secret]
    except Exception:
        return []


def secrets_in(*values: str | None) -> list[str]:
    """The secrets (passwords, secret options) written in URLs or ``key=value`` strings."""
    found: list[str] = []
    for value in values:
        if not value:
            continue
        text = str(value)
        for match in _URL.finditer(text):
            userinfo, _, query = _split_url(match.group(0))
            if userinfo is not None and ":" in userinfo:
                found.append(userinfo.split(":", 1)[1])
            found.extend(
                v for k, v in parse_qsl(query, keep_blank_values=True) if is_secret_name(k)
            )
        found.extend(
            _unquote_pair(m.group("value"))
            for m in _PAIR.finditer(text)
            if is_secret_name(m["key"])
        )
    return [s for s in found if s]


# ---------------------------------------------------------------------- internals


def _split_url(url: str) -> tuple[str | None, str, str]:
    """``(userinfo or None, rest after it, query)`` of *url*, tolerant of bad passwords.

    The userinfo ends at the last ``@`` before the query; a password may hold
    unencoded ``/``, ``#`` or ``?`` (then the last ``@`` anywhere is taken).
    """
    rest = url.partition("://")[2]
    question = rest.find("?")
    at = rest.rfind("@", 0, question if question >= 0 else len(rest))
    if at < 0:
        at = rest.rfind("@")
    userinfo = rest[:at] if at >= 0 else None
    after = rest[at + 1 :] if at >= 0 else rest
    query = after.split("?", 1)[1].split("#", 1)[0] if "?" in after else ""
    return userinfo, after, query


def _query_first(url: str) -> str:
    """*url* with its secret query options hidden first when its only ``@`` come after
    the ``?`` (``host/?password=a@b``): then they belong to an option, not a userinfo."""
    base, question, query = url.partition("?")
    if question and "@" in query and "@" not in base.partition("://")[2]:
        return f"{base}?{_QUERY_PAIR.sub(_redact_pair, query)}"
    return url


def _redact_url(url: str) -> str:
    url = _query_first(url)
    scheme = url.partition("://")[0]
    userinfo, after, _ = _split_url(url)
    if userinfo is not None and ":" in userinfo:
        userinfo = f"{userinfo.split(':', 1)[0]}:{MASK}"
    head = f"{scheme}://{userinfo}@" if userinfo is not None else f"{scheme}://"
    if "#" in after:
        # A fragment means nothing to a service URL, but a password or secret option with
        # an unencoded '#' continues in it: hide it whole.
        after = after.split("#", 1)[0] + "#" + MASK
    if "?" not in after:
        return head + after
    base, _, query = after.partition("?")
    return f"{head}{base}?{_QUERY_PAIR.sub(_redact_pair, query)}"


def _redact_pair(match: re.Match[str]) -> str:
    if not is_secret_name(match["key"]):
        return match.group(0)
    return f"{match['key']}={MASK}"


def _unquote_pair(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _forms(secrets: Iterable[str | None]) -> list[str]:
    forms = set()
    for secret in secrets:
        if secret and len(secret) >= 3:  # a one-letter "secret" would shred the message
            forms.update({secret, unquote(secret)})
    return sorted(forms, key=len, reverse=True)
