#!/usr/bin/env bash
# Create .venv and install the kernel, every plugin under plugins/ (with its `test` extra,
# if it has one) and every example package under examples/ (editable), as on a new
# machine. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
args=(-e ".[dev]")
for dir in plugins/*/ examples/*/; do
  if [ -f "$dir/pyproject.toml" ]; then
    # A package's `test` extra holds what its tests need (runners-s3: moto[server]).
    if grep -q '^test = ' "$dir/pyproject.toml"; then
      args+=(-e "${dir%/}[test]")
    else
      args+=(-e "$dir")
    fi
  fi
done
.venv/bin/python -m pip install -q "${args[@]}"
echo "setup: .venv ready ($(.venv/bin/python --version); $((${#args[@]} / 2)) packages installed editable)"
