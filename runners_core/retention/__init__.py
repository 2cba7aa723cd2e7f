"""Retention: one policy for sessions, events, artifacts and memory, applied by ``prune``."""

from runners_core.retention.items import PruneItem
from runners_core.retention.policy import RetentionPolicy
from runners_core.retention.prune import PruneReport, prune

__all__ = ["PruneItem", "PruneReport", "RetentionPolicy", "prune"]
