#!/usr/bin/env bash
# Sets up the virtualenv (first time only) and starts NetDesigner on the bundled
# EfficientNet-Lite0 and the sample photos. Extra arguments go to `netdesigner`.
# As root with apt, it also installs the Debian packages the window needs (the Qt xcb
# platform plugin's libraries) and the sample photos; otherwise `netdesigner` names the
# missing packages and the one apt command that installs them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  packages="$(python3 "$root/designer/qt_libraries.py" 2>/dev/null || true)"
  [ -d /usr/share/tuxpaint/stamps ] || packages="$packages tuxpaint-stamps-default"
  if [ -n "${packages// /}" ]; then
    echo "Installing Debian packages: $packages" >&2
    # shellcheck disable=SC2086  # one word per package
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
       --no-install-recommends $packages >/dev/null) \
      || echo "Could not install $packages; without the sample photos the generated sample dataset is used." >&2
  fi
fi
venv="$(bash "$root/scripts/venv.sh" | tail -n1)"
exec "$venv/bin/netdesigner" "$@"
