#!/usr/bin/env bash
# scripts/ensure-chromium.sh: makes sure the headless browser of the browser tests is installed
# (test/browser.ts; the dashboard and email-rendering tests under test/integration).
#
# The tests drive Debian's `chromium` package with playwright-core, which brings no browser of its
# own. When the binary (CHROMIUM_PATH, default /usr/bin/chromium) is missing, this installs the
# package with apt-get, only as root on a machine with apt-get; otherwise it stops and says how to
# install it. Needs the distribution's package mirror once.
#
# Exit status: 0 Chromium is installed (and prints its version); 1 it is not and could not be.
set -euo pipefail

chromium_path=${CHROMIUM_PATH:-/usr/bin/chromium}

fail() {
  printf 'ensure-chromium: %s\n' "$*" >&2
  exit 1
}

if [[ ! -x "$chromium_path" ]]; then
  if [[ -n "${CHROMIUM_PATH:-}" ]]; then
    fail "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file: point it at a Chromium or Chrome binary, or unset it to use Debian's chromium at /usr/bin/chromium"
  fi
  if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    fail "Chromium is not installed at $chromium_path, and it can only be installed here as root with apt-get: install it (Debian: apt-get install chromium; Ubuntu: a Chromium or Chrome build, then set CHROMIUM_PATH; Fedora/Amazon Linux: dnf install chromium, then CHROMIUM_PATH=/usr/bin/chromium-browser; macOS: install Google Chrome and set CHROMIUM_PATH to its binary) and run again"
  fi
  echo "installing chromium with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1; then
    # A fresh machine may have no package lists yet.
    apt-get update -q >/dev/null || fail "apt-get update failed"
    apt-get install -y -q --no-install-recommends chromium >/dev/null || fail "apt-get install chromium failed"
  fi
  [[ -x "$chromium_path" ]] || fail "apt-get installed chromium, but $chromium_path is still missing"
fi

# The Debian wrapper script prints its version line; a binary that cannot start fails here.
version=$("$chromium_path" --version 2>/dev/null) || fail "$chromium_path --version failed: the browser cannot start (missing libraries?)"
echo "chromium: $version ($chromium_path)"
