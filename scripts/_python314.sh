#!/usr/bin/env bash
# Provision a Python >= 3.14.2 interpreter (Home Assistant's floor since 2026.3)
# and print its path. Sourced by scripts/setup; usable alone for debugging.
#
# Order: an interpreter already on PATH, then `uv python install`, then Debian
# unstable's python3.14 packages unpacked into a cache outside the repository.
set -euo pipefail

CACHE_DIR="${TWILIO_COMMS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/twilio_comms}"
DEB_ROOT="$CACHE_DIR/python314-debian"
# Headers come along because some of Home Assistant's pinned dependencies
# (lru-dict on the 2026.3 leg) have no wheel for 3.14 and build from source.
DEB_PACKAGES=(python3.14 python3.14-dev python3-pip-whl)
MIN_PY="3.14.2"

log() { printf '[setup] %s\n' "$*" >&2; }

python_is_new_enough() {
    "$1" -c "import sys; sys.exit(0 if sys.version_info >= (3, 14, 2) else 1)" 2>/dev/null
}

python_from_path() {
    local candidate
    for candidate in python3.14 python3.15 python3; do
        if command -v "$candidate" >/dev/null && python_is_new_enough "$(command -v "$candidate")"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

python_from_uv() {
    command -v uv >/dev/null || return 1
    local install_dir="$CACHE_DIR/uv-python"
    # uv downloads prebuilt interpreters from GitHub; where that host is out of
    # reach it fails fast, and the Debian fallback takes over.
    timeout 120 uv python install --install-dir "$install_dir" "$MIN_PY" >&2 || return 1
    local found
    found="$(UV_PYTHON_INSTALL_DIR="$install_dir" uv python find ">=$MIN_PY" 2>/dev/null)" || return 1
    python_is_new_enough "$found" || return 1
    printf '%s\n' "$found"
}

python_from_debian() {
    local bin="$DEB_ROOT/root/usr/bin/python3.14"
    local stamp="$DEB_ROOT/.complete-${DEB_PACKAGES[*]// /-}"
    if [[ -f "$stamp" ]] && python_is_new_enough "$bin"; then
        printf '%s\n' "$bin"
        return 0
    fi
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || return 1
    if ! command -v patchelf >/dev/null; then
        log "installing patchelf with apt"
        apt-get update -qq >&2 && apt-get install -y -qq patchelf >&2
    fi
    log "fetching python3.14 from Debian unstable into $DEB_ROOT"
    rm -rf "$DEB_ROOT"
    mkdir -p "$DEB_ROOT"/{lists/partial,archives/partial,root,etc}
    : >"$DEB_ROOT/status"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian unstable main" \
        >"$DEB_ROOT/etc/sources.list"
    # A private lists dir and an empty dpkg status make apt resolve the whole
    # dependency closure (libc included) without touching the host's packages.
    local apt_opts=(
        -o "Dir::Etc::SourceList=$DEB_ROOT/etc/sources.list"
        -o "Dir::Etc::SourceParts=/nonexistent"
        -o "Dir::State::Lists=$DEB_ROOT/lists"
        -o "Dir::State::status=$DEB_ROOT/status"
        -o "Dir::Cache::Archives=$DEB_ROOT/archives"
        -o "APT::Install-Recommends=false"
        -o "Debug::NoLocking=true"
    )
    apt-get "${apt_opts[@]}" -qq update >&2
    apt-get "${apt_opts[@]}" -qq -y --download-only install "${DEB_PACKAGES[@]}" >&2
    local deb
    for deb in "$DEB_ROOT"/archives/*.deb; do
        dpkg-deb -x "$deb" "$DEB_ROOT/root"
    done
    local ld libdirs
    ld="$(find "$DEB_ROOT/root" -name 'ld-linux-x86-64.so.2' | head -n 1)"
    libdirs="$DEB_ROOT/root/usr/lib/x86_64-linux-gnu:$DEB_ROOT/root/lib/x86_64-linux-gnu"
    patchelf --set-interpreter "$ld" --force-rpath --set-rpath "$libdirs" "$bin"
    rm -rf "$DEB_ROOT/archives" "$DEB_ROOT/lists"
    python_is_new_enough "$bin" || { log "unpacked python3.14 does not run"; return 1; }
    touch "$stamp"
    printf '%s\n' "$bin"
}

# Compiler flags for source builds against the unpacked interpreter: Debian's
# pyconfig.h includes the multiarch header by a system-relative path. It goes
# after the system dirs so the host's own libc headers still win.
debian_cppflags() {
    [[ -d "$DEB_ROOT/root/usr/include" ]] && printf -- '-idirafter %s/root/usr/include\n' "$DEB_ROOT"
    return 0
}

# The pip wheel for a venv made with --without-pip: Debian's when we unpacked
# it, otherwise ensurepip's own.
pip_wheel() {
    find "$DEB_ROOT/root/usr/share/python-wheels" -name 'pip-*.whl' 2>/dev/null | head -n 1
}

find_python314() {
    python_from_path || python_from_uv || python_from_debian || {
        log "could not provision Python >= $MIN_PY"
        return 1
    }
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    find_python314
fi
