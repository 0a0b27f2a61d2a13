#!/usr/bin/env bash
# Train Tier0's Rasa model only when its inputs changed, and point models/current.tar.gz at it.
#
#   scripts/train-rasa.sh              train if needed, then (re)point models/current.tar.gz
#   scripts/train-rasa.sh --print-key  print the model key and exit
#
# The key is the sha256 of config.yml, bot/domain.yml, every file under training_data/ and the
# Rasa lock file bot/requirements-rasa.txt (each as "path<NUL>sha256 of its content", sorted by
# path), so renaming, adding or editing any of them gives a new key and nothing else does.
# Models live at ${TIER0_CACHE_DIR:-$HOME/.cache/tier0}/models/tier0-<first 12 hex of key>.tar.gz
# and are written atomically (trained into a temporary folder, then moved into place); after a
# training only the KEEP (5) most recently used models are kept.
set -euo pipefail

cd "$(dirname "$0")/.."

log() { printf 'model: %s\n' "$*"; }
die() { printf 'model: ERROR: %s\n' "$*" >&2; exit 1; }

INPUTS_FIXED=(config.yml bot/domain.yml bot/requirements-rasa.txt)
RASA=.venv-rasa/bin/rasa
KEEP=5

# model_key: the full sha256 over the training inputs (see the header).
model_key() {
    local path
    [ -d training_data ] || die "training_data/ not found"
    for path in "${INPUTS_FIXED[@]}"; do
        [ -f "$path" ] || die "$path not found"
    done
    {
        printf '%s\n' "${INPUTS_FIXED[@]}"
        find training_data -type f -print
    } | LC_ALL=C sort | while IFS= read -r path; do
        printf '%s\0%s\n' "$path" "$(sha256sum <"$path" | cut -c1-64)"
    done | sha256sum | cut -c1-64
}

case "${1:-}" in
    --print-key)
        model_key
        exit 0
        ;;
    "") ;;
    *) die "unknown argument: $1 (usage: scripts/train-rasa.sh [--print-key])" ;;
esac

KEY=$(model_key)
NAME=tier0-${KEY:0:12}
CACHE_DIR=${TIER0_CACHE_DIR:-$HOME/.cache/tier0}
MODELS=$CACHE_DIR/models
MODEL=$MODELS/$NAME.tar.gz
LINK=models/current.tar.gz

mkdir -p "$MODELS" models
# Serialise concurrent runs (e.g. `make test` and `make run` at once) so each model is trained once.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$MODELS/.train.lock"
    flock 9
fi

point_link() {
    if [ -e "$LINK" ] && [ ! -L "$LINK" ]; then
        die "$LINK exists and is not a symlink; remove it and rerun"
    fi
    ln -sfn "$MODEL" "$LINK.tmp" && mv -T "$LINK.tmp" "$LINK"
}

if [ -f "$MODEL" ]; then
    touch "$MODEL" # most recently used: pruned last
    point_link
    log "cached $NAME ($LINK -> $MODEL)"
    exit 0
fi

[ -x "$RASA" ] || die "$RASA not found: run \`make rasa-env\` first"
TMP=$(mktemp -d "$MODELS/.train-$NAME.XXXXXX")
# shellcheck disable=SC2064 # expand $TMP now
trap "rm -rf '$TMP'" EXIT
log "training $NAME (its inputs changed; takes a few minutes) …"
started=$(date +%s)
if ! env -u PYTHONPATH -u PYTHONHOME -u VIRTUAL_ENV \
    RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 \
    RASA_CACHE_DIRECTORY="$CACHE_DIR/rasa-train-cache" \
    "$RASA" train --config config.yml --domain bot/domain.yml --data training_data \
    --out "$TMP" --fixed-model-name "$NAME" >"$TMP/train.log" 2>&1; then
    tail -n 40 "$TMP/train.log" >&2
    die "rasa train failed (last lines above)"
fi
[ -f "$TMP/$NAME.tar.gz" ] || die "rasa train wrote no $NAME.tar.gz"
mv "$TMP/$NAME.tar.gz" "$MODEL"
point_link
# shellcheck disable=SC2012 # our own file names: no spaces or newlines
ls -1t "$MODELS"/tier0-*.tar.gz | tail -n +$((KEEP + 1)) | xargs -r rm -f
log "trained $NAME in $(($(date +%s) - started)) s ($LINK -> $MODEL)"
