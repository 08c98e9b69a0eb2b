#!/usr/bin/env bash
# Install the Debian packages gui64 needs (VICE from contrib, cc65, Xvfb, Qt's xcb libraries).
# Idempotent: does nothing when everything is already there.
set -euo pipefail

PACKAGES=(vice cc65 xvfb xauth libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1
          libxcb-shape0 libxcb-render-util0 libxcb-image0 libxcb-randr0 libxcb-xinerama0
          libxcb-xkb1 libegl1 libgl1 libfontconfig1 libdbus-1-3 desktop-file-utils
          xdg-utils shared-mime-info libglib2.0-bin)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# VICE lives in Debian's contrib component: enable it where the sources only name main.
enable_contrib() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        if grep -q '^Components:.*\bmain\b' "$f" && ! grep -q '^Components:.*\bcontrib\b' "$f"; then
            $SUDO sed -i -E '/^Components:/ s/\bmain\b/main contrib/' "$f"
        fi
    done
    if [ -f /etc/apt/sources.list ]; then
        $SUDO sed -i -E '/^deb .*debian/ { / contrib/! s/ main( |$)/ main contrib\1/ }' /etc/apt/sources.list
    fi
}
enable_contrib
echo "gui64 setup: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
