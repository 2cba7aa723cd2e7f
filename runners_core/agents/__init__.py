"""Agents, the invocation context they run in, and run configuration."""
