"""Every error the kernel raises on purpose.

Each message names the problem and how to fix it. All derive from
:class:`RunnersError`, so callers can catch the family in one place.
"""


class RunnersError(Exception):
    """Base class of all runners-core errors."""


class ConfigError(RunnersError, ValueError):
    """The configuration (arguments, environment, pyproject.toml) is invalid."""


class ValidationError(RunnersError, ValueError):
    """An identifier, message, event or artifact name is not acceptable."""


class SessionNotFoundError(RunnersError, LookupError):
    """The session does not exist (and the runner was not asked to create it)."""

    def __init__(self, app_name: str, user_id: str, session_id: str, hint: str | None = None):
        self.app_name, self.user_id, self.session_id = app_name, user_id, session_id
        message = f"session {session_id!r} not found for app {app_name!r}, user {user_id!r}"
        if hint:
            message += f"; {hint}"
        super().__init__(message)


class SessionExistsError(RunnersError, ValueError):
    """``create_session`` was given an id that is already taken."""

    def __init__(self, app_name: str, user_id: str, session_id: str):
        self.app_name, self.user_id, self.session_id = app_name, user_id, session_id
        super().__init__(
            f"session {session_id!r} already exists for app {app_name!r}, user {user_id!r}; "
            "pick another id, omit session_id to get a fresh one, or load it with get_session"
        )


class SessionBusyError(RunnersError):
    """Another invocation holds the session and the runner was told not to wait (or gave up)."""


class PluginError(RunnersError):
    """A plugin could not be loaded, configured or registered."""


class PluginHookError(PluginError):
    """A plugin's hook implementation raised; the original error is ``__cause__``."""

    def __init__(self, plugin: str, hook: str, error: BaseException):
        self.plugin, self.hook, self.error = plugin, hook, error
        super().__init__(
            f"plugin {plugin!r} failed in hook {hook!r}: {type(error).__name__}: {error}. "
            f"Fix the plugin, or disable it with RUNNERS_CORE_DISABLE_PLUGINS={plugin} "
            f"or disable = [{plugin!r}] in [tool.runners_core]"
        )


class UnknownSchemeError(ConfigError):
    """No installed plugin registers the URL scheme a service URL asks for."""


class BackendError(RunnersError):
    """A storage backend failed (unreachable, corrupt, too new, ...)."""


class UnreadableEventError(BackendError):
    """A stored event cannot be decoded; ``position`` (1-based, among those loaded) and
    ``event_id`` (None if even that is unreadable) name it."""

    def __init__(self, message: str, *, position: int, event_id: str | None) -> None:
        self.position, self.event_id = position, event_id
        super().__init__(message)


class RetryableBackendError(BackendError):
    """A transient backend failure; the operation did not take effect and may be retried."""


class LeaseLostError(RetryableBackendError):
    """A run's hold on its session expired (its process stalled for longer than the
    lease) and the backend refused its write; nothing was stored. Retry the invocation."""


class ServiceDefinitionError(RunnersError, TypeError):
    """A service class implements neither ADK's public methods nor the storage primitives."""


class InvocationNotFoundError(RunnersError, ValueError):
    """``rewind_async`` was given an invocation id the session has no event of."""
