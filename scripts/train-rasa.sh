#!/usr/bin/env bash
# Train Tier0's Rasa model only when its inputs changed, and point models/current.tar.gz at it.
#
#   scripts/train-rasa.sh              train if needed, then (re)point models/current.tar.gz
#   scripts/train-rasa.sh --print-key  print the model key and exit
#
# The key is the sha256 of config.yml, bot/domain.yml, the NLU featurizer bot/sentence_encoder.py,
# every file under training_data/ and the Rasa lock file bot/requirements-rasa.txt (each as
# "path<NUL>sha256 of its content", sorted by path) and of the sentence encoder's bundle name
# (`tier0 kb export-encoder`, in the main environment: it names the embedding model and export),
# so renaming, adding or editing any of them, or another embedding model, gives a new key and
# nothing else does.
# Models live at ${TIER0_CACHE_DIR:-$HOME/.cache/tier0}/models/tier0-<first 12 hex of key>.tar.gz
# and are written atomically (trained into a temporary folder, then moved into place); after a
# training only the KEEP (5) most recently used models are kept.
set -euo pipefail

cd "$(dirname "$0")/.."

log() { printf 'model: %s\n' "$*"; }
die() { printf 'model: ERROR: %s\n' "$*" >&2; exit 1; }

INPUTS_FIXED=(config.yml bot/domain.yml bot/sentence_encoder.py bot/requirements-rasa.txt)
RASA=.venv-rasa/bin/rasa
TIER0=${TIER0_BIN:-.venv/bin/tier0}
KEEP=5

# encoder_bundle: export (once) the knowledge base's embedding model for the NLU; print its folder.
encoder_bundle() {
    [ -x "$TIER0" ] || die "$TIER0 not found: run \`make env\` first (it exports the NLU encoder)"
    "$TIER0" kb export-encoder || die "tier0 kb export-encoder failed"
}

# model_key BUNDLE: the full sha256 over the training inputs and the encoder (see the header).
model_key() {
    local path
    [ -d training_data ] || die "training_data/ not found"
    for path in "${INPUTS_FIXED[@]}"; do
        [ -f "$path" ] || die "$path not found"
    done
    {
        {
            printf '%s\n' "${INPUTS_FIXED[@]}"
            find training_data -type f -print
        } | LC_ALL=C sort | while IFS= read -r path; do
            printf '%s\0%s\n' "$path" "$(sha256sum <"$path" | cut -c1-64)"
        done
        printf 'encoder\0%s\n' "$(basename "$1")"
    } | sha256sum | cut -c1-64
}

case "${1:-}" in
    --print-key)
        BUNDLE=$(encoder_bundle)
        model_key "$BUNDLE"
        exit 0
        ;;
    "") ;;
    *) die "unknown argument: $1 (usage: scripts/train-rasa.sh [--print-key])" ;;
esac

BUNDLE=$(encoder_bundle)
KEY=$(model_key "$BUNDLE")
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
# Rasa's training cache knows component configs, not the encoder or the featurizer's code: keep one
# cache per encoder and featurizer version, and drop the others.
TRAIN_CACHE=$CACHE_DIR/rasa-train-cache/$(
    { basename "$BUNDLE"; cat bot/sentence_encoder.py; } | sha256sum | cut -c1-12
)
find "$CACHE_DIR/rasa-train-cache" -mindepth 1 -maxdepth 1 ! -path "$TRAIN_CACHE" \
    -exec rm -rf {} + 2>/dev/null || true
log "training $NAME (its inputs changed; takes a few minutes) …"
started=$(date +%s)
if ! env -u PYTHONPATH -u PYTHONHOME -u VIRTUAL_ENV \
    RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 \
    PYTHONPATH="$PWD" TIER0_NLU_ENCODER="$BUNDLE" \
    RASA_CACHE_DIRECTORY="$TRAIN_CACHE" \
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
