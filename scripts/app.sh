#!/usr/bin/env bash
# Sets up the virtualenv (first time only) and starts NetDesigner on the bundled
# EfficientNet-Lite0 and the sample photos. Extra arguments go to `netdesigner`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "$(id -u)" = "0" ] && [ ! -d /usr/share/tuxpaint/stamps ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq --no-install-recommends tuxpaint-stamps-default >/dev/null) \
    || echo "Could not install the Tux Paint sample photos; the generated sample dataset is used instead." >&2
fi
venv="$(bash "$root/scripts/venv.sh" | tail -n1)"
exec "$venv/bin/netdesigner" "$@"
