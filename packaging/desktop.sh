#!/usr/bin/env bash
# Install or remove gui64's desktop entry, icon and file types for the current user.
#
#   packaging/desktop.sh install [GUI64]    GUI64: the gui64 launcher to run (default: gui64 on
#                                           PATH, else .venv/bin/gui64 of this checkout)
#   packaging/desktop.sh uninstall
#
# Everything goes under $XDG_DATA_HOME (default ~/.local/share): applications/gui64.desktop,
# mime/packages/gui64.xml and icons/hicolor/*/apps/gui64.*; the MIME, desktop and icon caches
# are refreshed when their tools are installed (shared-mime-info, desktop-file-utils, GTK).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
APPS="$DATA/applications"
MIME="$DATA/mime"
ICONS="$DATA/icons/hicolor"
PNG_SIZES=(48 64 128 256)

say() { echo "gui64 desktop: $*"; }

refresh() {
    if command -v update-mime-database >/dev/null; then
        update-mime-database "$MIME" >/dev/null
    else
        say "update-mime-database not found: install shared-mime-info so .reu files get their type."
    fi
    if command -v update-desktop-database >/dev/null; then
        update-desktop-database -q "$APPS"
    else
        say "update-desktop-database not found: install desktop-file-utils so .reu files open in gui64."
    fi
    if command -v gtk-update-icon-cache >/dev/null && [ -f "$ICONS/index.theme" ]; then
        gtk-update-icon-cache -q -t -f "$ICONS" || true
    fi
}

# The Exec= form of a path: quoted (desktop entry rules) when it holds anything but safe characters.
exec_quote() {
    local p="$1"
    if [[ "$p" =~ ^[A-Za-z0-9/._+-]+$ ]]; then
        printf '%s' "$p"
    else
        p="${p//\\/\\\\\\\\}"; p="${p//\"/\\\\\"}"; p="${p//\`/\\\\\`}"; p="${p//\$/\\\\\$}"
        printf '"%s"' "$p"
    fi
}

install_entry() {
    local gui64="${1:-}"
    if [ -z "$gui64" ]; then
        gui64="$(command -v gui64 || true)"
        [ -n "$gui64" ] || gui64="$ROOT/.venv/bin/gui64"
    fi
    if [ ! -x "$gui64" ]; then
        say "$gui64 is not an executable gui64 launcher: run \`make setup\` first, or pass its path." >&2
        exit 1
    fi
    gui64="$(cd "$(dirname "$gui64")" && pwd)/$(basename "$gui64")"
    mkdir -p "$APPS" "$MIME/packages" "$ICONS/scalable/apps"
    # Exec/TryExec name the launcher by full path: a venv's gui64 is not on the desktop's PATH.
    local exec_line tryexec_line
    exec_line="$(exec_quote "$gui64")"
    tryexec_line="${gui64//\\/\\\\}"  # a string value: backslashes doubled
    awk -v e="Exec=${exec_line//\\/\\\\} %f" -v t="TryExec=${tryexec_line//\\/\\\\}" \
        '/^Exec=/ { print e; next } /^TryExec=/ { print t; next } { print }' \
        "$HERE/gui64.desktop" > "$APPS/gui64.desktop.tmp"
    mv "$APPS/gui64.desktop.tmp" "$APPS/gui64.desktop"
    cp "$HERE/gui64-mime.xml" "$MIME/packages/gui64.xml"
    cp "$ROOT/resources/gui64.svg" "$ICONS/scalable/apps/gui64.svg"
    for size in "${PNG_SIZES[@]}"; do
        mkdir -p "$ICONS/${size}x${size}/apps"
        cp "$ROOT/resources/gui64-$size.png" "$ICONS/${size}x${size}/apps/gui64.png"
    done
    refresh
    say "installed for ${USER:-$(id -un)} in $DATA (runs $gui64); .reu files now open in gui64."
}

uninstall_entry() {
    rm -f "$APPS/gui64.desktop" "$MIME/packages/gui64.xml" "$ICONS/scalable/apps/gui64.svg"
    for size in "${PNG_SIZES[@]}"; do
        rm -f "$ICONS/${size}x${size}/apps/gui64.png"
    done
    [ -d "$MIME/packages" ] && [ -d "$APPS" ] && refresh
    say "removed from $DATA."
}

case "${1:-}" in
    install) install_entry "${2:-}" ;;
    uninstall) uninstall_entry ;;
    *) echo "usage: $0 install [GUI64] | uninstall" >&2; exit 2 ;;
esac
