#!/bin/sh
# Install the desktop entry and icon for the packaged app (dist/interview-copilot/, `make package`)
# into the user's ~/.local/share, so it shows up in the desktop's application menu.
# Usage: packaging/linux/install-desktop.sh [APP_DIR]   (APP_DIR defaults to dist/interview-copilot)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
app_dir=$(cd "${1:-$repo/dist/interview-copilot}" 2>/dev/null && pwd) || {
    echo "no packaged app at ${1:-$repo/dist/interview-copilot}; run \`make package\` first" >&2
    exit 1
}
exe="$app_dir/interview-copilot"
[ -x "$exe" ] || { echo "$exe is missing or not executable; run \`make package\`" >&2; exit 1; }

data="${XDG_DATA_HOME:-$HOME/.local/share}"
apps="$data/applications"
icons="$data/icons/hicolor/scalable/apps"
mkdir -p "$apps" "$icons"

cp "$here/interview-copilot.svg" "$icons/interview-copilot.svg"
# The entry in the repository runs `interview-copilot` from PATH; the installed one points at this
# bundle by absolute path (quoted, as the spec asks for paths with spaces).
sed "s|^Exec=.*|Exec=\"$exe\"|" "$here/interview-copilot.desktop" >"$apps/interview-copilot.desktop"
chmod 644 "$apps/interview-copilot.desktop"

# No cache refresh: desktops watch these folders, and a user-level icon or MIME cache created here
# would go stale and hide icons and entries that other apps install later.
echo "installed $apps/interview-copilot.desktop -> $exe"
