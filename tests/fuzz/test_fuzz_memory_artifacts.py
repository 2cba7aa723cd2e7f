"""Properties of every memory and artifact backend's public API on generated input.

* a memory search, whatever the query, answers from the asking (app, user) only or
  refuses with a ValidationError;
* an artifact saved under any accepted name loads back equal under that name, and a
  refused name changes nothing and is named in the error.
"""

from __future__ import annotations

import secrets

from fuzz_backends import Backend
from fuzz_strategies import artifact_names, mentions, texts
from hypothesis import given
from hypothesis import strategies as st

from runners_core.content import Part
from runners_core.errors import RunnersError, ValidationError
from runners_core.testing.builders import user_event


@given(stored=texts(), query=texts())
def test_a_search_answers_from_its_own_user_only(
    memory_backend: Backend, stored: str, query: str
) -> None:
    service = memory_backend.memory
    assert service is not None
    app = "app-" + secrets.token_hex(4)
    mine, theirs = user_event(f"quokka {stored}"), user_event(f"wombat {stored}")
    try:
        memory_backend.run(service.add_events_to_memory(app_name=app, user_id="me", events=[mine]))
        memory_backend.run(
            service.add_events_to_memory(app_name=app, user_id="other", events=[theirs])
        )
    except RunnersError as exc:  # text that cannot be stored (a lone surrogate)
        assert isinstance(exc, ValidationError), f"{type(exc).__name__}: {exc}"
        return
    for q in (query, stored, f"quokka {query}"):
        try:
            found = memory_backend.run(service.search_memory(app_name=app, user_id="me", query=q))
        except RunnersError as exc:
            assert isinstance(exc, ValidationError), f"{type(exc).__name__}: {exc}"
            continue
        texts_found = [m.content.parts[0].text for m in found.memories]
        assert all(t == mine.content.text for t in texts_found), (
            f"search {q!r} of user 'me' returned {texts_found!r}"
        )
    found = memory_backend.run(service.search_memory(app_name=app, user_id="me", query="quokka"))
    assert [m.content.parts[0].text for m in found.memories] == [mine.content.text]


@given(name=artifact_names(), data=st.binary(max_size=64), session=st.booleans())
def test_an_artifact_loads_back_equal_or_its_name_is_refused(
    artifacts_backend: Backend, name: str, data: bytes, session: bool
) -> None:
    service = artifacts_backend.artifacts
    assert service is not None
    app = "app-" + secrets.token_hex(4)
    where = {"app_name": app, "user_id": "u", "session_id": "s" if session else None}
    part = Part.from_bytes(data, "application/octet-stream")
    try:
        saving = service.save_artifact(**where, filename=name, artifact=part)
        version = artifacts_backend.run(saving)
    except RunnersError as exc:
        assert isinstance(exc, ValidationError), f"{type(exc).__name__}: {exc}"
        assert mentions(str(exc), name) or "artifact name" in str(exc), (
            f"the error does not name {name!r}: {exc}"
        )
        keys = artifacts_backend.run(service.list_artifact_keys(**where))
        assert keys == [], f"a refused save stored {keys}"
        return
    assert version == 0
    loaded = artifacts_backend.run(service.load_artifact(**where, filename=name))
    assert loaded is not None and loaded.inline_data is not None
    assert loaded.inline_data.data == data
    assert artifacts_backend.run(service.list_artifact_keys(**where)) == [name]
    # Another user of the same app never sees it.
    other = {**where, "user_id": "someone-else"}
    assert artifacts_backend.run(service.load_artifact(**other, filename=name)) is None
