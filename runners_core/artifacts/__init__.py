"""Artifact services: versioned files (blobs) scoped to a session or to a user."""
