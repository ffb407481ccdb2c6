#!/usr/bin/env bash
# The documented installation, offline: a venv that sees Debian's numpy, then
# pip install --no-build-isolation --no-index ./python (setup.py builds _clipkit in the
# given CMake build). Checks that the venv imports its own copy and that it computes.
# Usage: install_test.sh PYTHON SOURCE_DIR BUILD_DIR
set -euo pipefail
python=$1 source=$2 build=$3
venv="$build/python-venv"
rm -rf "$venv"
"$python" -m venv --system-site-packages "$venv"
CLIPKIT_BUILD_DIR="$build" "$venv/bin/pip" install -q --no-build-isolation --no-index --no-cache-dir \
  --disable-pip-version-check "$source/python"
cd "$build"  # not the source tree: the import must come from the venv
"$venv/bin/python" - "$venv" <<'PY'
import sys
import clipkit
from clipkit import clip
venv = sys.argv[1]
assert clipkit.__file__.startswith(venv), clipkit.__file__
m = clipkit.load()  # the default model
v = m.embed_texts(["a red heart"])
assert v.shape == (1, m.embed_dim) and abs(float((v * v).sum()) - 1) < 1e-5, v
print("installed", clipkit.__version__, "at", clipkit.__file__)
PY
"$venv/bin/pip" uninstall -q -y clipkit
rm -rf "$venv"
