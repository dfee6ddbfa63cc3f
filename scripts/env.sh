#!/usr/bin/env bash
# Writes secrets that `make run` needs into an untracked .env, once, when they are not set.
set -euo pipefail
cd "$(dirname "$0")/.."
touch .env
chmod 600 .env
for name in RASA_TOKEN SECRET_KEY ACTIONS_SECRET; do
  if [ -z "${!name:-}" ] && ! grep -q "^$name=" .env; then
    echo "$name=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))' 2>/dev/null || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> .env
  fi
done
# make run serves plain HTTP on loopback; behind HTTPS set COOKIE_SECURE=1 (the default when unset).
grep -q '^COOKIE_SECURE=' .env || echo "COOKIE_SECURE=0" >> .env
[ -f credentials.yml ] || cp credentials.example.yml credentials.yml
