#!/usr/bin/env bash
# Install Debian's chromium for the browser tests; Playwright drives it through executable_path.
set -euo pipefail
if command -v chromium >/dev/null; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo "The browser tests need Chromium: install it with your package manager (e.g. 'chromium')." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "Installing chromium needs root: run 'apt-get install chromium' as root." >&2; exit 1; }
  SUDO="sudo"
fi
echo "Installing Debian's chromium for the browser tests …"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || {
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q chromium >/dev/null
}
command -v chromium >/dev/null && chromium --version
