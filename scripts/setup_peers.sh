#!/usr/bin/env bash
# Create the optional environments benchmarks/bench_peers.py compares against:
#   .venv-openai     the OpenAI Agents SDK 0.24 with its SQLAlchemy and Redis sessions
#   .venv-langgraph  LangGraph 1.2 with its SQLite and PostgreSQL checkpointers
# (Google ADK 2.13 comes from scripts/setup_adk.sh.) Never needed to use runners-core.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv-openai/bin/python ] || "$PYTHON" -m venv .venv-openai
.venv-openai/bin/python -m pip install -q --upgrade pip
.venv-openai/bin/python -m pip install -q "openai-agents[sqlalchemy,redis]==0.24.*" aiosqlite asyncpg
[ -x .venv-langgraph/bin/python ] || "$PYTHON" -m venv .venv-langgraph
.venv-langgraph/bin/python -m pip install -q --upgrade pip
.venv-langgraph/bin/python -m pip install -q "langgraph==1.2.*" langgraph-checkpoint-sqlite \
    langgraph-checkpoint-postgres "psycopg[binary]"
echo "setup_peers: .venv-openai and .venv-langgraph ready"
