#!/usr/bin/env bash
# Starts the Rasa server, the action server, the web service and the timed jobs (Procfile); Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
wait_ready() {
  for _ in $(seq 1 600); do
    # Rasa's token travels as a JWT in a header, never in a URL (hotline/rasa_client.py).
    bearer=$(.venv/bin/python -c 'import sys; from hotline.rasa_client import bearer; print(bearer(sys.argv[1])[0])' \
      "$(grep '^RASA_TOKEN=' .env | cut -d= -f2-)" 2>/dev/null || true)
    if curl -fsS -H "Authorization: $bearer" "http://127.0.0.1:$RASA_PORT/status" >/dev/null 2>&1 \
      && curl -fsS "http://127.0.0.1:$ACTIONS_PORT/health" >/dev/null 2>&1 \
      && curl -fsS "http://127.0.0.1:$WEB_PORT/api/health" >/dev/null 2>&1; then
      cat <<MSG

  ready in $(( $(date +%s) - start )) s
  citizen chat:      http://127.0.0.1:$WEB_PORT/chat
  console (sign in): http://127.0.0.1:$WEB_PORT/console   (accounts: .venv/bin/hotline user add NAME --role ROLE;
                     roles admin, mediator, operator, lawyer, viewer)
  hotline seat:      http://127.0.0.1:$WEB_PORT/operator
  dashboard:         http://127.0.0.1:$WEB_PORT/dashboard
  Rasa HTTP API:     http://127.0.0.1:$RASA_PORT          (token in .env: RASA_TOKEN)
  action server:     http://127.0.0.1:$ACTIONS_PORT/health
  deadline job:      every 5 minutes (overdue cases escalate one tier up)
  hand-off job:      every 10 s (nobody picked a waiting citizen up within HANDOFF_WAIT_SECONDS: tell them, offer a call-back;
                     answer messages kept while Rasa was down; send WeChat/SMS replies)
  roll-up job:       every minute (merges the dashboard's daily counts that case changes appended)
  retention job:     daily (hotline purge: personal data past RETENTION_DAYS, 730 unless set in .env)
  channels:          WeChat, SMS and phone when their settings are in .env (.env.example, docs/CHANNELS.md)
  Ctrl-C stops them all.

MSG
      return
    fi
    sleep 1
  done
  echo "run: services not ready after 10 minutes; see the log above" >&2
}
wait_ready &
exec .venv/bin/honcho start -f Procfile -e .env
