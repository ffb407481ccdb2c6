#!/usr/bin/env bash
# Browser end-to-end test of `clipkit serve`: runs search.mjs against Debian's headless
# chromium with playwright-core, which scripts/setup installed into BUILD_DIR/e2e.
# Usage: tests/e2e/run.sh BUILD_DIR SHARED_DIR [CHROMIUM]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "$1" && pwd)"
shared="$2"
chromium="${3:-/usr/bin/chromium}"
[ -x "$chromium" ] || { echo "e2e: no chromium at $chromium (scripts/setup installs it)" >&2; exit 1; }
command -v node >/dev/null || { echo "e2e: node not found (scripts/setup installs nodejs)" >&2; exit 1; }
work="$build/e2e"
if ! cmp -s "$here/package.json" "$work/package.json" || [ ! -d "$work/node_modules/playwright-core" ]; then
  echo "e2e: playwright-core is not installed in $work (run scripts/setup)" >&2
  exit 1
fi
NODE_PATH="$work/node_modules" exec node "$here/search.mjs" "$build/clipkit" "$shared" "$chromium" "$work/node_modules"
