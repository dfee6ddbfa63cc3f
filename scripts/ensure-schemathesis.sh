#!/usr/bin/env bash
# Creates .venv-schema with the versions of requirements-schemathesis.lock; does nothing when it is current.
# Schemathesis lives apart from .venv: it needs rich>=13.9, and .venv's Flask-Limiter 2.9 (the newest that Rasa
# 3.6's packaging<21 allows) needs rich<13. It only speaks HTTP to the web service the test starts.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-schema
stamp=$(sha256sum requirements-schemathesis.lock | cut -c1-16)
if [ -f "$venv/.hotline-stamp" ] && [ "$(cat "$venv/.hotline-stamp")" = "$stamp" ] && [ -x "$venv/bin/schemathesis" ]; then
  exit 0
fi
python=$(scripts/find-python.sh)
start=$(date +%s)
rm -rf "$venv"
echo "setup: creating $venv for schemathesis with $python" >&2
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade "pip>=24"
"$venv/bin/python" -m pip install --quiet -r requirements-schemathesis.lock
"$venv/bin/python" -m pip check >&2
echo "$stamp" > "$venv/.hotline-stamp"
echo "setup: $venv ready in $(( $(date +%s) - start )) s" >&2
