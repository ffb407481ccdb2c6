#!/usr/bin/env bash
# The Debian package (CPack, as scripts/package makes it, into WORK_DIR): named
# clipkit_<version>_<arch>.deb, its Depends computed by dpkg-shlibdeps (the runtime
# packages of the libraries libclipkit.so and the CLI load), its files under /usr with
# the SONAME link and the default model, and a shlibs file for packages built on it.
# Usage: tests/install/package_test.sh BUILD_DIR WORK_DIR VERSION MAJOR_VERSION
set -euo pipefail
build="$1"
work="$2"
version="$3"
major="$4"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

rm -rf "$work"
mkdir -p "$work"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work" > "$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; exit 1; }
arch="$(dpkg --print-architecture)"
deb="$work/clipkit_${version}_${arch}.deb"
[ -f "$deb" ] || { echo "FAIL: no $deb; made: $(ls "$work")"; cat "$work/cpack.log"; exit 1; }
dpkg-deb --field "$deb" Package Version Architecture Depends > "$work/fields"
dpkg-deb --contents "$deb" | awk '{print $6}' | sed 's|^\./|/|' > "$work/contents"
echo "$(basename "$deb"): $(du -h "$deb" | cut -f1)"
cat "$work/fields"

grep -qx "Package: clipkit" "$work/fields" || fail "Package is not clipkit"
grep -qx "Version: $version" "$work/fields" || fail "Version is not $version"
# Computed, not written by hand: the packages of libraries clipkit loads, with versions.
for pkg in libc6 'libstdc\+\+6' 'libdnnl[0-9]' libopenblas0 libsqlite3-0 libcurl4 libjpeg62-turbo libpng16-16; do
  grep -Eq "^Depends:.*(^|[ ,])$pkg( \\([^)]*\\))?(,|$)" "$work/fields" || fail "Depends does not name $pkg"
done
grep -q "^Depends:.*libc6 (>= " "$work/fields" || fail "Depends has no version for libc6 (not from dpkg-shlibdeps?)"
for f in /usr/bin/clipkit "/usr/lib/libclipkit.so.$major" /usr/lib/libclipkit.so /usr/include/clipkit/clipkit.h \
         /usr/include/clipkit/version.hpp /usr/lib/cmake/clipkit/clipkitConfig.cmake /usr/lib/pkgconfig/clipkit.pc \
         /usr/share/clipkit/models/emoji-clip/open_clip_model.safetensors /usr/share/clipkit/models/registry.json; do
  grep -qx -- "$f" "$work/contents" || fail "$f is not in the package"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./shlibs > "$work/shlibs" 2>/dev/null || true
grep -qx "libclipkit $major clipkit (>= $version)" "$work/shlibs" || fail "shlibs is '$(cat "$work/shlibs")'"
[ "$fails" -eq 0 ] && echo "ok: $(basename "$deb")"
exit $((fails > 0))
