"""The runners-core plugin: lets ``runners run app.py:root_agent`` take an ADK agent."""

from __future__ import annotations
