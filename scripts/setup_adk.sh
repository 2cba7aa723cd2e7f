#!/usr/bin/env bash
# Create .venv-adk with Google ADK 2.13 (and the drivers its DatabaseSessionService needs),
# the reference the benchmarks in benchmarks/ compare against. Never needed to use runners-core.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv-adk/bin/python ] || "$PYTHON" -m venv .venv-adk
.venv-adk/bin/python -m pip install -q --upgrade pip
.venv-adk/bin/python -m pip install -q "google-adk==2.13.0" "sqlalchemy[asyncio]" asyncpg aiosqlite
echo "setup_adk: .venv-adk ready ($(.venv-adk/bin/python -c 'import google.adk; print(google.adk.__version__)'))"
