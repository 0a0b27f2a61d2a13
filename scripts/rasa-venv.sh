#!/usr/bin/env bash
# Create (idempotently) the Python 3.10 virtualenv of Tier0's Rasa server and
# point the .venv-rasa symlink in the repository root at it.
#
#   scripts/rasa-venv.sh            build/verify the venv from bot/requirements-rasa.txt
#   scripts/rasa-venv.sh --relock   regenerate bot/requirements-rasa.txt from
#                                   bot/requirements-rasa.in (fresh throwaway venv)
#
# The venv lives at ${TIER0_CACHE_DIR:-$HOME/.cache/tier0}/rasa-venv-<KEY>, KEY
# being the first 12 hex chars of sha256(lock file contents + Python version),
# so a changed lock or interpreter gets a new venv and an unchanged one is reused.
# A stamp file is written inside the venv only after a verified install; a venv
# without it (interrupted or failed install) is deleted and rebuilt.
set -euo pipefail

cd "$(dirname "$0")/.."

export PIP_DISABLE_PIP_VERSION_CHECK=1

IN_FILE=bot/requirements-rasa.in
LOCK=bot/requirements-rasa.txt
LINK=.venv-rasa
STAMP_NAME=.tier0-install-complete

log() { printf 'rasa-venv: %s\n' "$*"; }
die() { printf 'rasa-venv: ERROR: %s\n' "$*" >&2; exit 1; }

# pip_in VENV ARGS...: run VENV's pip, hiding the harmless "Location ... is
# ignored" warnings that file:// extra indexes produce; errors go to stderr.
pip_in() {
    local venv=$1 status
    shift
    set +e
    "$venv/bin/python" -m pip "$@" 2>&1 |
        grep -v -E "^WARNING: Location '[^']*' is ignored: it is neither a file nor a directory\.?$" >&2
    status=${PIPESTATUS[0]}
    set -e
    return "$status"
}

case "${1:-}" in
    "" | --relock) ;;
    *) die "unknown argument: $1 (usage: scripts/rasa-venv.sh [--relock])" ;;
esac

# pip_check VENV: run `pip check` in VENV, printing its report only on failure.
pip_check() {
    local out
    if ! out=$("$1/bin/python" -m pip check 2>&1); then
        printf '%s\n' "$out" >&2
        return 1
    fi
}

PY=$(scripts/find-python310.sh) || exit 1 # find-python310.sh explains on stderr
PYVER=$("$PY" -c 'import platform; print(platform.python_version())') ||
    die "cannot run $PY"

relock() {
    [ -f "$IN_FILE" ] || die "$IN_FILE not found"
    local tmp pipver body
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/tier0-rasa-lock.XXXXXX")
    # shellcheck disable=SC2064 # expand $tmp now
    trap "rm -rf '$tmp'" EXIT
    log "relock: fresh Python $PYVER venv in $tmp"
    "$PY" -m venv "$tmp/venv" || die "venv creation failed"
    pip_in "$tmp/venv" install -q --upgrade pip || die "pip upgrade failed"
    pipver=$("$tmp/venv/bin/python" -c 'import pip; print(pip.__version__)')
    log "relock: pip install -r $IN_FILE (pip $pipver; takes a few minutes)"
    pip_in "$tmp/venv" install -q -r "$IN_FILE" || die "pip install -r $IN_FILE failed"
    pip_check "$tmp/venv" || die "pip check failed in the relock venv"
    body=$("$tmp/venv/bin/python" -m pip freeze --all --exclude pip) || die "pip freeze failed"
    if grep -i -E '^(torch|nvidia-|triton)' <<<"$body" >&2; then
        die "the resolved set pulls torch/CUDA packages (above); pin them out in $IN_FILE"
    fi
    {
        echo "# Fully pinned lock of Tier0's Rasa server virtualenv (Python 3.10, Linux x86_64)."
        echo "# Generated file: do not edit by hand."
        echo "#"
        echo "# Produced by \`scripts/rasa-venv.sh --relock\`: it creates a fresh Python 3.10"
        echo "# venv, upgrades pip there to the newest release, runs"
        echo "# \`pip install -r $IN_FILE\` and \`pip check\`, and writes"
        echo "# \`pip freeze --all --exclude pip\` below this header (every transitive"
        echo "# dependency, setuptools and wheel included, as name==version)."
        echo "# To regenerate: edit $IN_FILE, run \`scripts/rasa-venv.sh --relock\`,"
        echo "# then \`scripts/rasa-venv.sh\` to build and verify the venv from the new lock."
        echo "#"
        echo "# scripts/rasa-venv.sh first installs the pip recorded on the next line, then"
        echo "# \`pip install --no-deps -r $LOCK\`."
        echo "# pip-version: $pipver"
        echo "# python-version: $PYVER"
        printf '%s\n' "$body"
    } >"$LOCK.tmp"
    mv "$LOCK.tmp" "$LOCK"
    log "relock: wrote $LOCK ($(grep -c "^[^#].*==" "$LOCK") pins)"
}

if [ "${1:-}" = "--relock" ]; then
    relock
    exit 0
fi

[ -f "$LOCK" ] || die "$LOCK not found (generate it with scripts/rasa-venv.sh --relock)"
RASA_VERSION=$(sed -n 's/^rasa==\([^ ;#]*\).*$/\1/p' "$LOCK" | head -n 1)
[ -n "$RASA_VERSION" ] || die "$LOCK has no rasa==VERSION line"
PIP_VERSION=$(sed -n 's/^# pip-version: *\([^ ]*\).*$/\1/p' "$LOCK" | head -n 1)

KEY=$({ cat "$LOCK"; printf '%s' "$PYVER"; } |
    "$PY" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:12])')
CACHE_DIR=${TIER0_CACHE_DIR:-$HOME/.cache/tier0}
VENV=$CACHE_DIR/rasa-venv-$KEY
STAMP=$VENV/$STAMP_NAME

mkdir -p "$CACHE_DIR"
# Serialise concurrent runs for the same venv (e.g. two `make setup`s).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$VENV.lock"
    flock 9
fi

if [ -f "$STAMP" ] && "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    log "up to date: $VENV (rasa $RASA_VERSION, Python $PYVER)"
else
    if [ -e "$VENV" ]; then
        log "removing incomplete venv $VENV"
        rm -rf "$VENV"
    fi
    log "creating $VENV (Python $PYVER from $PY)"
    "$PY" -m venv "$VENV" || die "could not create the venv with $PY"
    if [ -n "$PIP_VERSION" ]; then
        log "installing pip==$PIP_VERSION"
        pip_in "$VENV" install -q "pip==$PIP_VERSION" || die "installing pip==$PIP_VERSION failed"
    fi
    log "installing $LOCK with --no-deps (first time takes a few minutes)"
    pip_in "$VENV" install -q --no-deps -r "$LOCK" || die "pip install --no-deps -r $LOCK failed (see pip's errors above); rerun to retry"
    log "verifying"
    pip_check "$VENV" || die "pip check found broken requirements in $VENV: regenerate $LOCK"
    got=$("$VENV/bin/python" -c 'import rasa; print(rasa.__version__)') ||
        die "cannot import rasa in $VENV"
    [ "$got" = "$RASA_VERSION" ] || die "rasa $got installed, expected $RASA_VERSION"
    if ! out=$("$VENV/bin/rasa" --version 2>&1); then
        printf '%s\n' "$out" >&2
        die "$VENV/bin/rasa --version failed"
    fi
    printf 'key=%s python=%s rasa=%s\n' "$KEY" "$PYVER" "$RASA_VERSION" >"$STAMP"
    log "installed rasa $RASA_VERSION in $VENV"
fi

if [ -e "$LINK" ] && [ ! -L "$LINK" ]; then
    die "$LINK exists and is not a symlink; remove it and rerun"
fi
ln -sfn "$VENV" "$LINK"
log "$LINK -> $VENV"
