#!/usr/bin/env bash
# Browser tests drive Debian's Chromium; install it when missing and we may.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0  # fonts-wqy-microhei comes with it, for readable screenshots
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test: installing Debian's chromium for the browser tests" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
else
  echo "test: the browser tests need Chromium: run 'sudo apt-get install chromium'" >&2
  exit 1
fi
