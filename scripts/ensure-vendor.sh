#!/usr/bin/env bash
# Browser libraries the pages serve locally (no CDN): ECharts for the dashboard, from the npm registry.
# Installed into hotline/web/static/vendor/ (untracked); does nothing when the pinned version is there.
set -euo pipefail
cd "$(dirname "$0")/.."
ECHARTS_VERSION=5.6.0
target=hotline/web/static/vendor/echarts
if [ -f "$target/echarts.min.js" ] && [ "$(cat "$target/VERSION" 2>/dev/null)" = "$ECHARTS_VERSION" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "vendor: the dashboard's charts need ECharts from the npm registry: install npm (apt-get install npm)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "vendor: fetching echarts@$ECHARTS_VERSION from the npm registry" >&2
(cd "$work" && npm pack --silent "echarts@$ECHARTS_VERSION" >/dev/null && tar -xzf echarts-*.tgz)
mkdir -p "$target"
# Apache-2.0: the licence and notice travel with the file.
cp "$work/package/dist/echarts.min.js" "$work/package/LICENSE" "$work/package/NOTICE" "$target/"
echo "$ECHARTS_VERSION" > "$target/VERSION"
