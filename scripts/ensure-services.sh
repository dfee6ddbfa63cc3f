#!/usr/bin/env bash
# make test needs PostgreSQL (127.0.0.1:5432, user postgres, database test) and Redis (127.0.0.1:6379).
# Uses running ones; else starts throwaway ones from Debian's packages (installed when missing and we are
# root), kept under var/services and stopped by `scripts/ensure-services.sh stop`; else one clear line.
set -euo pipefail
cd "$(dirname "$0")/.."
PGPORT=${TEST_PGPORT:-5432} REDIS_PORT=${TEST_REDIS_PORT:-6379} STATE=var/services
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
fail() { echo "test: $1" >&2; exit 1; }

if [ "${1:-}" = stop ]; then
  [ -f "$STATE/redis.pid" ] && kill "$(cat "$STATE/redis.pid")" 2>/dev/null || true
  [ -d "$STATE/pg" ] && su postgres -c "$(ls -d /usr/lib/postgresql/*/bin | tail -1)/pg_ctl -D $PWD/$STATE/pg stop -m fast" >/dev/null 2>&1 || true
  exit 0
fi

install() {  # Debian packages, as scripts/ensure-chromium.sh does for the browser
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing Debian's $* for the tests" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    fail "the tests need PostgreSQL on 127.0.0.1:$PGPORT and Redis on 127.0.0.1:$REDIS_PORT: run 'sudo apt-get install postgresql redis-server' (or start them yourself)"
  fi
}

mkdir -p "$STATE"
if ! up "$REDIS_PORT"; then
  command -v redis-server >/dev/null 2>&1 || install redis-server
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize yes \
    --pidfile "$PWD/$STATE/redis.pid" --logfile "$PWD/$STATE/redis.log" >/dev/null
fi
if ! up "$PGPORT"; then
  ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || install postgresql
  bin=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
  if [ ! -d "$STATE/pg" ]; then
    mkdir -p "$STATE/pg" && chown -R postgres "$STATE" 2>/dev/null || true
    su postgres -c "$bin/initdb -D $PWD/$STATE/pg -U postgres --auth=trust" >/dev/null \
      || fail "could not create a throwaway PostgreSQL in $STATE/pg; see the lines above"
  fi
  su postgres -c "$bin/pg_ctl -D $PWD/$STATE/pg -o '-c listen_addresses=127.0.0.1 -p $PGPORT' -l $PWD/$STATE/pg.log -w start" >/dev/null \
    || fail "could not start PostgreSQL; see $STATE/pg.log"
fi
if [ -d "$STATE/pg" ] && up "$PGPORT"; then  # ours: make sure the tests' database exists
  psql -h 127.0.0.1 -p "$PGPORT" -U postgres -tc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE test" >/dev/null
fi
for _ in $(seq 1 50); do up "$REDIS_PORT" && up "$PGPORT" && break; sleep 0.2; done
up "$REDIS_PORT" || fail "Redis is not answering on 127.0.0.1:$REDIS_PORT; see $STATE/redis.log"
up "$PGPORT" || fail "PostgreSQL is not answering on 127.0.0.1:$PGPORT; see $STATE/pg.log"
