#!/usr/bin/env bash
# `cmake --install` lays clipkit out like a library (issue 12): installs BUILD_DIR into a
# fresh prefix, checks the tree and libclipkit.so (SONAME libclipkit.so.MAJOR, only
# clipkit's symbols exported), then builds two consumers outside the tree, one with the
# CMake package (consumer/CMakeLists.txt: find_package(clipkit) → clipkit::clipkit, C++
# API) and one in C with `pkg-config --cflags --libs clipkit` (consumer/consumer.c), and
# runs them on the installed default model: each must print the dimension `clipkit info
# --json` gives and the label probabilities `clipkit classify --json` computes (1e-4).
# Usage: tests/install/install_test.sh SOURCE_DIR BUILD_DIR WORK_DIR MAJOR_VERSION
set -euo pipefail
src="$1"
build="$2"
work="$3"
major="$4"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"
unset CLIPKIT_MODEL
cmake --install "$build" --prefix "$prefix" > "$work/install.log"

# 1. The tree.
lib="$(find "$prefix" -name "libclipkit.so.$major" -print -quit)"
[ -n "$lib" ] || { echo "FAIL: no libclipkit.so.$major under $prefix:"; find "$prefix" | sort; exit 1; }
libdir="$(dirname "$lib")"
for f in bin/clipkit include/clipkit/clipkit.h include/clipkit/clipkit.hpp include/clipkit/model.hpp \
         include/clipkit/version.hpp share/clipkit/models/emoji-clip/open_clip_model.safetensors \
         share/clipkit/models/emoji-clip/open_clip_config.json share/clipkit/models/registry.json \
         "${libdir#"$prefix/"}/libclipkit.so" "${libdir#"$prefix/"}/pkgconfig/clipkit.pc" \
         "${libdir#"$prefix/"}/cmake/clipkit/clipkitConfig.cmake" \
         "${libdir#"$prefix/"}/cmake/clipkit/clipkitConfigVersion.cmake" \
         "${libdir#"$prefix/"}/cmake/clipkit/clipkitTargets.cmake"; do
  [ -e "$prefix/$f" ] || fail "$f is not installed"
done
# Nothing internal or third-party in the public headers (src/ stays private).
if grep -l -E '#include *[<"](nlohmann|dnnl|oneapi|cblas|sqlite3|curl|httplib|hnswlib|png|jpeglib|webp|utf8proc|sentencepiece|core/|io/|model/|kernels/)' \
     "$prefix"/include/clipkit/*; then
  fail "an installed header includes a third-party or internal header (above)"
fi

# 2. libclipkit.so: its SONAME, and only clipkit's symbols exported.
soname="$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[ "$soname" = "libclipkit.so.$major" ] || fail "SONAME of $lib is '$soname', expected libclipkit.so.$major"
nm -D --defined-only "$lib" | awk '{print $3}' | grep -v -E '^(clipkit_|_Z[A-Z]*N[A-Z]*7clipkit)' > "$work/foreign-symbols" || true
if [ -s "$work/foreign-symbols" ]; then
  fail "libclipkit.so exports $(wc -l < "$work/foreign-symbols") symbols outside clipkit, e.g.: $(head -5 "$work/foreign-symbols" | tr '\n' ' ')"
fi
nm -D --defined-only "$lib" | grep -q ' T clipkit_model_load$' || fail "libclipkit.so does not export clipkit_model_load"

# 3. The consumers.
image="$src/tests/data/emoji-eval/images/1f49c.png"
texts=("pizza" "a purple heart" "一只猫" "собака")
cmake -S "$src/tests/install/consumer" -B "$work/cmake-consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" > "$work/consumer-configure.log" ||
  { cat "$work/consumer-configure.log"; exit 1; }
cmake --build "$work/cmake-consumer" > "$work/consumer-build.log" || { cat "$work/consumer-build.log"; exit 1; }
pc_flags="$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs clipkit)"
echo "pkg-config --cflags --libs clipkit: $pc_flags"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror -o "$work/consumer_c" "$src/tests/install/consumer/consumer.c" $pc_flags
LD_LIBRARY_PATH="$libdir" "$work/cmake-consumer/consumer" "$image" "${texts[@]}" > "$work/cpp.out"
LD_LIBRARY_PATH="$libdir" "$work/consumer_c" "$image" "${texts[@]}" > "$work/c.out"
loaded="$(LD_LIBRARY_PATH="$libdir" ldd "$work/consumer_c" | grep libclipkit || true)"
[[ "$loaded" == *"libclipkit.so.$major => $libdir/libclipkit.so.$major "* ]] ||
  fail "consumer_c does not load libclipkit.so.$major from $libdir: $loaded"
"$prefix/bin/clipkit" info --json > "$work/installed-info.json"

# 4. The numbers, against the build tree's CLI on the same model files.
"$build/clipkit" info --json > "$work/info.json"
args=()
for t in "${texts[@]}"; do args+=(--text "$t"); done
"$build/clipkit" classify --json --image "$image" "${args[@]}" > "$work/classify.json"
python3 - "$work" "$prefix" "$(cat "$src/CMakeLists.txt" | sed -n 's/^project(clipkit VERSION \([0-9.]*\).*/\1/p')" <<'PY' || fails=$((fails + 1))
import json, os, sys
work, prefix, version = sys.argv[1], os.path.realpath(sys.argv[2]), sys.argv[3]
model_dir = os.path.join(prefix, "share", "clipkit", "models", "emoji-clip")
info = json.load(open(os.path.join(work, "info.json")))
classify = json.load(open(os.path.join(work, "classify.json")))
dim = info["embed_dim"]
want = [t["prob"] for t in classify["texts"]]
errors = []
def parse(name):
    lines = open(os.path.join(work, name), encoding="utf-8").read().splitlines()
    out = {"probs": []}
    for line in lines:
        key, _, value = line.partition(" ")
        if key == "prob":
            out["probs"].append(float(value.split()[1]))
        else:
            out[key] = value
    return out
for name, label in (("cpp.out", "CMake consumer (C++ API)"), ("c.out", "pkg-config consumer (C API)")):
    got = parse(name)
    if int(got.get("dim", -1)) != dim:
        errors.append(f"{label}: dim {got.get('dim')}, clipkit info --json says {dim}")
    if got.get("version") != version:
        errors.append(f"{label}: version {got.get('version')}, expected {version}")
    if len(got["probs"]) != len(want) or any(abs(a - b) > 1e-4 for a, b in zip(got["probs"], want)):
        errors.append(f"{label}: probs {got['probs']}, clipkit classify says {want} (tolerance 1e-4)")
    path = got["path"] if "path" in got else json.loads(got["info"])["path"]
    if os.path.realpath(path) != model_dir:
        errors.append(f"{label}: loaded the default model from {path}, expected the installed {model_dir}")
    print(f"{label}: dim {got.get('dim')}, probs {got['probs']}, model {path}")
installed = json.load(open(os.path.join(work, "installed-info.json")))
if os.path.realpath(installed["path"]) != model_dir:
    errors.append(f"installed bin/clipkit: default model {installed['path']}, expected {model_dir}")
if max(range(len(want)), key=lambda i: want[i]) != 1:
    errors.append(f"the emoji model does not pick 'a purple heart' for 1f49c.png: {want}")
for e in errors:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
PY
[ "$fails" -eq 0 ] && echo "ok: installed tree, SONAME $soname, CMake and pkg-config consumers"
exit $((fails > 0))
