#!/usr/bin/env bash
# scripts/check-deps must fail, naming the package and a file it owns, when a package the
# build or tests need is missing from scripts/packages (checked on copies of the list).
# Usage: tests/scripts/check_deps_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fails=0

# expect_missing PACKAGE FILE_PATTERN: drop PACKAGE from the list, expect rc 1 and a line
# "  PACKAGE: FILE…" in the report.
expect_missing() {
  local pkg="$1" pattern="$2" rc=0
  grep -v -E "^$pkg( |\$)" "$src/scripts/packages" > "$work/packages"
  "$src/scripts/check-deps" --packages "$work/packages" "$build" > "$work/out" 2>&1 || rc=$?
  if [ "$rc" -ne 1 ] || ! grep -q -E "^  $pkg: $pattern" "$work/out"; then
    echo "FAIL: without $pkg, expected rc 1 and a line '  $pkg: $pattern…'; got rc $rc:"
    cat "$work/out"
    fails=$((fails + 1))
  else
    echo "ok: without $pkg -> $(grep -E "^  $pkg: " "$work/out")"
  fi
}

# The package this check was made for (issue 8): needed by oneDNN's CMake config only.
expect_missing ocl-icd-opencl-dev '/usr/lib/x86_64-linux-gnu/libOpenCL\.so'
# A header-only library, seen only through the compiler's depfiles.
expect_missing libhnswlib-dev '/usr/include/hnswlib/'
# A library seen by the linker.
expect_missing libsqlite3-dev '/usr/(include/sqlite3|lib/x86_64-linux-gnu/libsqlite3)'
# A program the tests run (the browser test's chromium, found by cmake).
expect_missing chromium '/usr/bin/chromium'

# The real list passes.
rc=0
"$src/scripts/check-deps" "$build" > "$work/out" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "FAIL: scripts/check-deps fails on scripts/packages itself (rc $rc):"
  cat "$work/out"
  fails=$((fails + 1))
else
  cat "$work/out"
fi
exit $((fails > 0))
