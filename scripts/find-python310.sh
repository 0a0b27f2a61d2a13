#!/bin/sh
# Print the absolute path of a working Python 3.10 interpreter and exit 0.
#
# Tier0's Rasa server runs in its own virtualenv on Python 3.10 (Rasa 3.6 does
# not support newer Pythons). Lookup order:
#   a) python3.10 on PATH, if it actually runs (a pyenv shim may exist but fail)
#   b) pyenv: the highest installed 3.10.x under `pyenv root`/versions
#      (also $PYENV_ROOT or ~/.pyenv when the pyenv command is not on PATH)
#   c) uv: `uv python find 3.10`
# Otherwise print how to install Python 3.10 to stderr and exit 1.
set -u

# works PATH: true if PATH is a runnable Python 3.10.
works() {
    [ -n "$1" ] || return 1
    "$1" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1
}

# found PATH: print the absolute path of the real interpreter behind PATH (a
# shim or a venv resolves to its base interpreter) and exit 0.
found() {
    real=$("$1" -c 'import os, sys
exe = getattr(sys, "_base_executable", "") or sys.executable
if not os.path.isfile(exe):
    exe = sys.executable
print(os.path.abspath(exe))' 2>/dev/null) || real=""
    if works "$real"; then
        printf '%s\n' "$real"
    else
        case "$1" in
            /*) printf '%s\n' "$1" ;;
            *) printf '%s/%s\n' "$(cd "$(dirname "$1")" && pwd -P)" "$(basename "$1")" ;;
        esac
    fi
    exit 0
}

# a) python3.10 on PATH
if cand=$(command -v python3.10 2>/dev/null) && works "$cand"; then
    found "$cand"
fi

# b) pyenv
pyenv_root=""
if command -v pyenv >/dev/null 2>&1; then
    pyenv_root=$(pyenv root 2>/dev/null) || pyenv_root=""
fi
if [ -z "$pyenv_root" ]; then
    pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
fi
if [ -d "$pyenv_root/versions" ]; then
    # Highest patch release first: 3.10.13 sorts above 3.10.9.
    nl='
'
    old_ifs=$IFS
    IFS=$nl
    for cand in $(for p in "$pyenv_root"/versions/3.10.*/bin/python3.10; do
        [ -e "$p" ] && printf '%s\n' "$p"
    done | sed 's|^\(.*/versions/3\.10\.\)\([0-9]*\)\(.*\)$|\2 \1\2\3|' |
        sort -k1,1nr | cut -d' ' -f2-); do
        if works "$cand"; then
            found "$cand"
        fi
    done
    IFS=$old_ifs
fi

# c) uv
if command -v uv >/dev/null 2>&1; then
    cand=$(uv python find 3.10 2>/dev/null) || cand=""
    if works "$cand"; then
        found "$cand"
    fi
fi

echo "Tier0's Rasa server needs Python 3.10 (Rasa 3.6 does not support newer Pythons). Install it with pyenv (\`pyenv install 3.10\`) or uv (\`uv python install 3.10\`), or put python3.10 on PATH." >&2
exit 1
