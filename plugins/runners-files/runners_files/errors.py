"""Errors of the filesystem artifact store."""

from __future__ import annotations

from runners_core.errors import BackendError


class ForeignContentError(BackendError):
    """The artifact root holds something runners-files did not write (by hand, a symlink, ...).

    The store refuses to interpret it rather than return garbage; the message names the
    path, relative to the root, and what to do.
    """
