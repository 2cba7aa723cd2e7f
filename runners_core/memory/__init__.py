"""Memory services: long-term, searchable recall across a user's sessions."""
