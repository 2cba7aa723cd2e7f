#!/usr/bin/env bash
# Create .venv and install the kernel (with its dev extra), every plugin under plugins/
# (with its `test` extra, if it has one) and every example package under examples/,
# editable, as on a new machine. Safe to run again: when neither this script nor any
# pyproject.toml changed since the last successful run, it only checks that the
# environment still imports and stops (about a second). uv installs when it is on PATH,
# pip otherwise; RUNNERS_SETUP_FORCE=1 reinstalls regardless.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
STAMP=.venv/.setup-stamp

args=(-e ".[dev]")
for dir in plugins/*/ examples/*/; do
  [ -f "$dir/pyproject.toml" ] || continue
  # A package's `test` extra holds what its tests need (runners-s3: moto[server]).
  if grep -q '^test = ' "$dir/pyproject.toml"; then
    args+=(-e "${dir%/}[test]")
  else
    args+=(-e "$dir")
  fi
done
count=$((${#args[@]} / 2))

fingerprint=$(
  {
    "$PYTHON" --version 2>&1
    printf '%s\n' "${args[@]}"
    cat scripts/setup.sh pyproject.toml plugins/*/pyproject.toml examples/*/pyproject.toml 2>/dev/null
  } | sha256sum | cut -d' ' -f1
)
if [ -z "${RUNNERS_SETUP_FORCE:-}" ] && [ -x .venv/bin/python ] && [ -f "$STAMP" ] \
  && [ "$(cat "$STAMP")" = "$fingerprint" ] \
  && .venv/bin/python -c "import runners_core, runners_cli" 2>/dev/null; then
  echo "setup: .venv is current ($count packages; nothing changed since the last setup)"
  exit 0
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
rm -f "$STAMP"

# pip on some machines is configured with index locations that do not exist; its
# warnings about them are noise, every other message is shown.
quiet_pip() {
  .venv/bin/python -m pip "$@" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

if command -v uv >/dev/null 2>&1; then
  uv pip install --quiet --python .venv/bin/python "${args[@]}"
else
  quiet_pip install -qq --disable-pip-version-check --upgrade pip
  quiet_pip install -qq --disable-pip-version-check "${args[@]}"
fi
echo "$fingerprint" > "$STAMP"
echo "setup: .venv ready ($(.venv/bin/python --version); $count packages installed editable)"
