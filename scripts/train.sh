#!/usr/bin/env bash
# Trains the Rasa model only when its inputs changed; models are cached by a hash of data + config.
# A county's own labelled orders (`hotline train --extra`, HOTLINE_EXTRA_NLU, default var/nlu_extra)
# are training data too, and part of the hash. `scripts/train.sh --hash` prints the hash and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${HOTLINE_CACHE:-$HOME/.cache/hotline}/models"
extra="${HOTLINE_EXTRA_NLU:-var/nlu_extra}"
extra_data=()
if [ -d "$extra" ] && [ -n "$(find "$extra" -name '*.yml' -type f | head -1)" ]; then
  extra_data=("$extra")
fi
inputs=$(find config.yml bot/domain bot/stories bot/rules nlu_data bot/components requirements.lock "${extra_data[@]}" \
  -type f -not -path '*/__pycache__/*' | LC_ALL=C sort)
hash=$(for f in $inputs; do echo "$f"; cat "$f"; done | sha256sum | cut -c1-16)
if [ "${1:-}" = "--hash" ]; then
  echo "$hash"
  exit 0
fi
mkdir -p "$cache" models
model="hotline-$hash.tar.gz"
if [ ! -f "models/$model" ]; then
  if [ -f "$cache/$model" ]; then
    cp "$cache/$model" "models/$model"
    echo "train: model $hash from cache" >&2
  else
    echo "train: training model $hash (inputs changed)" >&2
    start=$(date +%s)
    .venv/bin/rasa train --config config.yml --domain bot/domain --data nlu_data "${extra_data[@]}" bot/stories bot/rules \
      --out models --fixed-model-name "hotline-$hash" --num-threads 2
    echo "train: trained in $(( $(date +%s) - start )) s, $(du -h "models/$model" | cut -f1)" >&2
    cp "models/$model" "$cache/$model.tmp" && mv "$cache/$model.tmp" "$cache/$model"
  fi
fi
ln -sfn "$model" models/current.tar.gz
