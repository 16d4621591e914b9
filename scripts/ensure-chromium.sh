#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (/usr/bin/chromium); Playwright never downloads a browser
# here. Install the Debian package when it is missing (as root, or through sudo).
set -eu
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: /usr/bin/chromium is missing and apt-get is not available; install Chromium by hand" >&2
  exit 0  # the browser tests say so themselves (and fail in CI)
fi
echo "ensure-chromium: installing Debian's chromium package" >&2
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
