#!/usr/bin/env bash
# Install the system packages the app and its tests need, only those the machine lacks.
# The lists live in scripts/system-packages/ (one place for make setup, .ci/run and the README).
#   --print   print the install command for this platform and exit (nothing installed)
set -euo pipefail
LISTS="$(cd "$(dirname "$0")" && pwd)/system-packages"

packages() { grep -v '^[[:space:]]*#' "$1" | grep -v '^[[:space:]]*$'; }

missing_debian() {
  local pkg
  for pkg in $(packages "$LISTS/debian.txt"); do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

install_debian() {
  local sudo="" missing
  missing="$(missing_debian | tr '\n' ' ')"
  if [ -z "${missing// /}" ]; then
    echo "system packages: all $(packages "$LISTS/debian.txt" | wc -l) present"
    return
  fi
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "system packages missing: $missing"
  echo "running: $sudo apt-get install -y --no-install-recommends $missing"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
}

install_brew() {
  local missing
  missing="$(for pkg in $(packages "$LISTS/brew.txt"); do brew list --formula "$pkg" >/dev/null 2>&1 || echo "$pkg"; done | tr '\n' ' ')"
  if [ -z "${missing// /}" ]; then echo "system packages: all present"; return; fi
  echo "running: brew install $missing"
  brew install $missing
}

case "$(uname -s)" in
  Linux)
    if command -v apt-get >/dev/null; then
      if [ "${1:-}" = "--print" ]; then
        echo "sudo apt-get install -y --no-install-recommends $(packages "$LISTS/debian.txt" | tr '\n' ' ')"
      else
        install_debian
      fi
      exit 0
    fi ;;
  Darwin)
    if command -v brew >/dev/null; then
      if [ "${1:-}" = "--print" ]; then echo "brew install $(packages "$LISTS/brew.txt" | tr '\n' ' ')"; else install_brew; fi
      exit 0
    fi
    echo "Homebrew is needed: see https://brew.sh, then run make setup again." >&2
    exit 1 ;;
esac
echo "This platform has no apt-get or brew. Install these (Debian names) with your package manager," >&2
echo "then run make setup again:" >&2
packages "$LISTS/debian.txt" | tr '\n' ' ' >&2
echo >&2
exit 1
