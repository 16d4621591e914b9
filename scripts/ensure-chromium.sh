#!/usr/bin/env bash
# The Debian packages the tests need: Chromium for the browser tests (/usr/bin/chromium; Playwright
# never downloads a browser here), and Pango, HarfBuzz and DejaVu Sans for the PDF documents
# (WeasyPrint). Installs what is missing (as root, or through sudo).
set -eu
PACKAGES="chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"
missing=""
for package in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
if [ -x /usr/bin/chromium ] && [ -z "$missing" ]; then
  exit 0
fi
[ -x /usr/bin/chromium ] || missing="$missing chromium"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: missing:$missing, and apt-get is not available; install them by hand" >&2
  exit 0  # the browser and PDF tests say so themselves (and fail in CI)
fi
echo "ensure-chromium: installing Debian's$missing" >&2
$SUDO apt-get update -q
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
