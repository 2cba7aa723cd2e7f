"""Plugin discovery through entry points, enable/disable, settings, failures, hook errors."""

from __future__ import annotations

import pytest

from runners_core import (
    BaseAgent,
    Content,
    InMemoryRunner,
    hookimpl,
    load_config,
    load_plugins,
    session_service_from_url,
)
from runners_core.errors import ConfigError, PluginError, PluginHookError, UnknownSchemeError
from runners_core.plugins.manager import discover_entry_points

GOOD = """
from runners_core import hookimpl

@hookimpl
def on_event(event):
    return event.model_copy(update={"custom_metadata": {"seen_by": "good"}})
"""

BROKEN = """
raise ImportError("this plugin is broken on purpose")
"""

CONFIGURABLE = """
from runners_core import hookimpl

class Tagger:
    def __init__(self, tag: str = "default"):
        self.tag = tag

    @hookimpl
    def on_event(self, event):
        return event.model_copy(update={"custom_metadata": {"tag": self.tag}})
"""

SCHEME = """
from runners_core import hookimpl
from runners_core.sessions.in_memory import InMemorySessionService

@hookimpl
def register_services(registry):
    registry.add_session_service("dummy", lambda url, **kw: InMemorySessionService())
"""


def config(**overrides):
    return load_config(overrides, environ={})


class Once(BaseAgent):
    async def _run_async_impl(self, ctx):
        yield ctx.event("hello")


async def one_event(runner) -> object:
    events = [
        e
        async for e in runner.run_async(
            user_id="u", session_id="s", new_message=Content.from_text("x")
        )
    ]
    return events[-1]


def test_builtin_memory_scheme_is_always_there():
    loaded = load_plugins(config())
    assert "memory" in loaded.registry.schemes("session")
    assert loaded.record("memory").distribution == "runners-core"
    assert type(session_service_from_url("memory://", plugins=loaded)).__name__ == (
        "InMemorySessionService"
    )


def test_entry_point_plugin_is_discovered_and_its_hooks_run(install_plugin):
    install_plugin("good", GOOD)
    loaded = load_plugins(config())
    record = loaded.record("good")
    assert record.state == "enabled" and record.distribution == "rc-test-good"
    assert record.version == "1.0" and record.hooks == ["on_event"]


async def test_discovered_plugin_applies_in_runner(install_plugin, monkeypatch):
    install_plugin("good", GOOD)
    monkeypatch.delenv("RUNNERS_CORE_PLUGINS")
    runner = InMemoryRunner(Once(name="once"), auto_create_session=True)
    event = await one_event(runner)
    assert event.custom_metadata == {"seen_by": "good"}


def test_allow_list_and_disable(install_plugin):
    install_plugin("good", GOOD)
    install_plugin("other", GOOD)
    loaded = load_plugins(config(plugins=["other"]))
    assert loaded.record("good").state == "disabled"
    assert "allow-list" in loaded.record("good").reason
    assert loaded.record("other").state == "enabled"
    loaded = load_plugins(config(disable=["good"]))
    assert loaded.record("good").state == "disabled"
    assert "disable" in loaded.record("good").reason


def test_empty_plugins_env_means_no_installed_plugins(install_plugin):
    install_plugin("good", GOOD)
    loaded = load_plugins(load_config(environ={"RUNNERS_CORE_PLUGINS": ""}))
    assert loaded.record("good").state == "disabled"
    loaded = load_plugins(load_config(environ={"RUNNERS_CORE_DISABLE_PLUGINS": "good, x"}))
    assert loaded.record("good").state == "disabled"


def test_unknown_plugin_in_allow_list_is_a_clear_error(install_plugin):
    install_plugin("good", GOOD)
    expected = r"unknown plugin 'nope'.*installed plugins: (.*, )?good\b"
    with pytest.raises(ConfigError, match=expected):
        load_plugins(config(plugins=["nope"]))


def test_broken_plugin_is_recorded_not_fatal(install_plugin, caplog):
    install_plugin("broken", BROKEN)
    install_plugin("good", GOOD)
    loaded = load_plugins(config())
    broken = loaded.record("broken")
    assert broken.state == "failed"
    assert "broken on purpose" in broken.reason and "ImportError" in broken.traceback
    assert loaded.record("good").state == "enabled"
    assert "RUNNERS_CORE_DISABLE_PLUGINS=broken" in caplog.text


def test_broken_plugin_is_fatal_when_required_or_strict(install_plugin):
    install_plugin("broken", BROKEN)
    with pytest.raises(PluginError, match="required_plugins"):
        load_plugins(config(required_plugins=["rc-test-broken"]))
    with pytest.raises(PluginError, match="strict"):
        load_plugins(config(strict=True))
    # Disabling it is the way out, even in strict mode.
    load_plugins(config(strict=True, disable=["broken"]))


def test_required_plugins_checks_installation_and_version(install_plugin):
    install_plugin("good", GOOD)
    load_plugins(config(required_plugins=["rc-test-good>=1.0"]))
    with pytest.raises(PluginError, match="version 1.0 is installed"):
        load_plugins(config(required_plugins=["rc-test-good>=2"]))
    with pytest.raises(PluginError, match="pip install 'runners-nothing'"):
        load_plugins(config(required_plugins=["runners-nothing"]))
    with pytest.raises(PluginError, match="not active"):
        load_plugins(config(required_plugins=["rc-test-good"], disable=["good"]))
    with pytest.raises(ConfigError, match="not a valid requirement"):
        load_plugins(config(required_plugins=["!!"]))


def test_settings_reach_class_plugins(install_plugin, tmp_path):
    install_plugin("tagger", CONFIGURABLE, target="Tagger")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.runners_core.plugins.tagger]\ntag = "blue"\n')
    loaded = load_plugins(load_config(environ={}, pyproject=pyproject))
    plugin = loaded.pm.get_plugin("tagger")
    assert plugin.tag == "blue"


def test_bad_settings_are_reported_with_the_table(install_plugin, tmp_path):
    install_plugin("tagger", CONFIGURABLE, target="Tagger")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.runners_core.plugins.tagger]\ncolour = "blue"\n')
    loaded = load_plugins(load_config(environ={}, pyproject=pyproject))
    record = loaded.record("tagger")
    assert record.state == "failed"
    assert "[tool.runners_core.plugins.tagger]" in record.reason and "colour" in record.reason


def test_module_plugin_rejects_settings(install_plugin, tmp_path):
    install_plugin("good", GOOD)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.runners_core.plugins.good]\nx = 1\n")
    record = load_plugins(load_config(environ={}, pyproject=pyproject)).record("good")
    assert record.state == "failed" and "takes no settings" in record.reason


def test_unknown_hook_name_makes_the_plugin_invalid(install_plugin):
    install_plugin(
        "typo",
        "from runners_core import hookimpl\n\n@hookimpl\ndef on_evnt(event):\n    pass\n",
    )
    record = load_plugins(config()).record("typo")
    assert record.state == "failed" and "'on_evnt', which is not a runners-core hook" in (
        record.reason
    )


def test_bad_hook_signature_makes_the_plugin_invalid(install_plugin):
    install_plugin(
        "badsig",
        "from runners_core import hookimpl\n\n@hookimpl\ndef on_event(evt, extra):\n    pass\n",
    )
    record = load_plugins(config()).record("badsig")
    assert record.state == "failed" and "on_event" in record.reason


def test_wrapper_hooks_are_rejected():
    class Wrapper:
        @hookimpl(wrapper=True)
        def on_event(self, event):
            return (yield)

    loaded = load_plugins(config())
    with pytest.raises(PluginError, match="hook wrapper"):
        loaded.register(Wrapper())


OWN_SCHEME = """
from runners_core import hookimpl
from runners_core.sessions.in_memory import InMemorySessionService

@hookimpl
def register_services(registry):
    registry.add_session_service("dummy", lambda url, **kw: InMemorySessionService())
    registry.add_session_service("{own}", lambda url, **kw: InMemorySessionService())
"""


def test_a_scheme_two_plugins_claim_is_unusable_and_names_both(install_plugin, caplog):
    install_plugin("one", OWN_SCHEME.replace("{own}", "only-one"), dist="rc-one")
    install_plugin("two", OWN_SCHEME.replace("{own}", "only-two"), dist="rc-two")
    loaded = load_plugins(config())  # not fatal: everything else keeps working
    with pytest.raises(ConfigError, match="more than one plugin") as info:
        session_service_from_url("dummy://x", plugins=loaded)
    assert "'one' (distribution rc-one)" in str(info.value)
    assert "'two' (distribution rc-two)" in str(info.value)
    assert "'one' (distribution rc-one)" in caplog.text  # said once at load time too
    assert "dummy" not in loaded.registry.schemes("session")
    for scheme in ("only-one", "only-two", "memory"):
        service = session_service_from_url(f"{scheme}://", plugins=loaded)
        assert type(service).__name__ == "InMemorySessionService"
    assert loaded.record("one").state == loaded.record("two").state == "enabled"
    assert loaded.record("one").schemes == {"session": ["dummy", "only-one"]}


def test_registered_scheme_is_reported_and_usable(install_plugin):
    install_plugin("one", SCHEME)
    loaded = load_plugins(config())
    assert loaded.record("one").schemes == {"session": ["dummy"]}
    service = session_service_from_url("dummy://x", plugins=loaded)
    assert type(service).__name__ == "InMemorySessionService"


HALF_REGISTERED = """
from runners_core import hookimpl
from runners_core.errors import ConfigError
from runners_core.sessions.in_memory import InMemorySessionService

@hookimpl
def register_services(registry):
    registry.add_session_service("half", lambda url, **kw: InMemorySessionService())
    raise {error}
"""


@pytest.mark.parametrize(
    "error", ["RuntimeError('no backend today')", "ConfigError('no backend today')"]
)
def test_register_services_failure_marks_plugin_failed_and_rolls_back(install_plugin, error):
    install_plugin("bad", HALF_REGISTERED.replace("{error}", error))
    install_plugin("one", SCHEME)
    loaded = load_plugins(config())
    record = loaded.record("bad")
    assert record.state == "failed" and "no backend today" in record.reason
    assert "register_services" in record.reason and "'bad'" in record.reason
    assert not loaded.pm.has_plugin("bad")
    assert loaded.record("bad").schemes == {}
    assert "half" not in loaded.registry.schemes("session")  # its partial work is gone
    with pytest.raises(UnknownSchemeError):
        session_service_from_url("half://", plugins=loaded)
    assert loaded.record("one").state == "enabled"
    assert "dummy" in loaded.registry.schemes("session")
    with pytest.raises(PluginError, match="strict mode is on"):
        load_plugins(config(strict=True))


def test_a_fatal_problem_is_kept_not_raised_when_not_enforced(install_plugin):
    install_plugin("broken", BROKEN)
    loaded = load_plugins(config(strict=True), enforce=False)
    assert loaded.record("broken").state == "failed"
    assert "strict mode is on" in loaded.problem and "broken" in loaded.problem
    assert load_plugins(config()).problem is None


def test_unknown_scheme_says_what_to_install():
    loaded = load_plugins(config(), entry_points=[])  # nothing installed
    with pytest.raises(UnknownSchemeError, match="pip install runners-postgres"):
        session_service_from_url("postgresql://bob:hunter2@db/x", plugins=loaded)
    with pytest.raises(UnknownSchemeError) as info:
        session_service_from_url("postgresql://bob:hunter2@db/x", plugins=loaded)
    assert "hunter2" not in str(info.value) and "bob:***@db" in str(info.value)
    with pytest.raises(ConfigError, match="has no scheme"):
        session_service_from_url("just-a-path.db", plugins=loaded)
    with pytest.raises(ConfigError, match="take no location"):
        session_service_from_url("memory://somewhere", plugins=loaded)


def test_a_disabled_provider_is_named_with_how_to_enable_it(install_plugin):
    # Only this stand-in for runners-sqlite is installed, so the real one cannot answer.
    install_plugin("fakesqlite", SCHEME, dist="runners-sqlite")
    installed = [ep for ep in discover_entry_points() if ep.name == "fakesqlite"]
    loaded = load_plugins(config(disable=["fakesqlite"]), entry_points=installed)
    with pytest.raises(UnknownSchemeError) as info:
        session_service_from_url("sqlite:///x.db", plugins=loaded)
    message = str(info.value)
    assert "pip install" not in message
    assert "plugin 'fakesqlite' (runners-sqlite), which is installed but disabled" in message
    assert "remove 'fakesqlite' from that list" in message
    loaded = load_plugins(config(plugins=["memory"]), entry_points=installed)
    with pytest.raises(UnknownSchemeError, match="add 'fakesqlite' to that list"):
        session_service_from_url("sqlite:///x.db", plugins=loaded)


def test_an_unknown_allow_list_name_is_a_problem_when_not_enforced(install_plugin):
    install_plugin("quiet", "from runners_core import hookimpl\n")
    with pytest.raises(ConfigError, match="unknown plugin 'nosuch'"):
        load_plugins(config(plugins=["nosuch"]))
    loaded = load_plugins(config(plugins=["nosuch"]), enforce=False)
    assert "unknown plugin 'nosuch'" in loaded.problem
    assert loaded.record("quiet").state == "disabled"


async def test_raising_hook_names_plugin_and_hook():
    class Faulty:
        name = "faulty"

        @hookimpl
        async def before_append_event(self, event):
            raise ValueError("disk on fire")

    runner = InMemoryRunner(Once(name="once"), plugins=[Faulty()], auto_create_session=True)
    with pytest.raises(PluginHookError) as info:
        await one_event(runner)
    message = str(info.value)
    assert "plugin 'faulty'" in message and "'before_append_event'" in message
    assert "disk on fire" in message and "RUNNERS_CORE_DISABLE_PLUGINS=faulty" in message
    assert isinstance(info.value.__cause__, ValueError)
    # The user's event was rejected by the hook before it was stored: nothing half-written.
    session = await runner.session_service.get_session(
        app_name=runner.app_name, user_id="u", session_id="s"
    )
    assert session.events == []


async def test_hook_returning_wrong_type_is_reported():
    class Wrong:
        name = "wrong"

        @hookimpl
        def on_event(self, event):
            return "not an event"

    runner = InMemoryRunner(Once(name="once"), plugins=[Wrong()], auto_create_session=True)
    with pytest.raises(PluginHookError, match="returned str; return a Event or None"):
        await one_event(runner)


async def test_failing_on_run_error_hook_does_not_mask_the_error(caplog):
    class Boom(BaseAgent):
        async def _run_async_impl(self, ctx):
            raise LookupError("original")
            yield

    class BadObserver:
        name = "observer"

        @hookimpl
        def on_run_error(self, error):
            raise RuntimeError("observer broke")

    runner = InMemoryRunner(Boom(name="boom"), plugins=[BadObserver()], auto_create_session=True)
    with pytest.raises(LookupError, match="original"):
        await one_event(runner)
    assert "observer broke" in caplog.text


async def test_runner_plugins_join_discovered_ones(install_plugin, monkeypatch):
    install_plugin("good", GOOD)
    monkeypatch.delenv("RUNNERS_CORE_PLUGINS")
    seen = []

    class Spy:
        @hookimpl
        def after_append_event(self, event):
            seen.append(event.custom_metadata)

    runner = InMemoryRunner(Once(name="once"), plugins=[Spy()], auto_create_session=True)
    await one_event(runner)
    assert {"seen_by": "good"} in seen
    assert {r.name for r in runner.plugins.records} >= {"memory", "good", "Spy"}


class Tally:
    """A hook plugin counting the events stored while it is active."""

    def __init__(self) -> None:
        self.seen = 0

    @hookimpl
    def after_append_event(self, event):
        self.seen += 1


async def test_runners_sharing_a_manager_run_only_their_own_plugins(install_plugin):
    install_plugin("good", GOOD)
    shared = load_plugins(config(plugins=["good"]))
    loaded_names = [r.name for r in shared.records]
    first, second = Tally(), Tally()
    runner_a = InMemoryRunner(Once(name="a"), plugins=[first], plugin_manager=shared)
    runner_b = InMemoryRunner(Once(name="b"), plugins=[second], plugin_manager=shared)
    runner_a.auto_create_session = runner_b.auto_create_session = True
    event = await one_event(runner_a)  # stores the user's message and the agent's reply
    assert (first.seen, second.seen) == (2, 0)
    assert event.custom_metadata == {"seen_by": "good"}  # the shared plugin runs in both
    event = await one_event(runner_b)
    assert (first.seen, second.seen) == (2, 2)
    assert event.custom_metadata == {"seen_by": "good"}
    assert [r.name for r in shared.records] == loaded_names  # the shared one is unchanged
    assert "Tally" in {r.name for r in runner_a.plugins.records}
