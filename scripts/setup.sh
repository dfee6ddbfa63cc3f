#!/usr/bin/env bash
# Creates .venv with the exact versions of requirements.lock; does nothing when it is current.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
if [ -f .venv/.hotline-stamp ] && [ "$(cat .venv/.hotline-stamp)" = "$stamp" ] && [ -x .venv/bin/rasa ]; then
  exit 0
fi
python=$(scripts/find-python.sh)
start=$(date +%s)
if [ ! -x .venv/bin/python ] || [ "$(.venv/bin/python -c 'import sys; print(sys.version_info[:2] == (3, 10))')" != "True" ]; then
  rm -rf .venv
  echo "setup: creating .venv with $python" >&2
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip>=24" setuptools wheel
echo "setup: installing the locked versions (first time: a few minutes, ~2.7 GB)" >&2
.venv/bin/python -m pip install --quiet -r requirements.lock
.venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
.venv/bin/python -m pip check >&2
echo "$stamp" > .venv/.hotline-stamp
echo "setup: .venv ready in $(( $(date +%s) - start )) s" >&2
