#!/usr/bin/env bash
# java_example (ctest): ImageTextSearchExample's report must be byte-for-byte the report
# `clipkit classify` prints for the same model, vocabulary, image and texts — on the
# default texts, and on texts with an emoji, quotes and non-ASCII characters.
# Usage: example_test.sh JAVA LIBCLIPKIT_JNI CLASSPATH CLIPKIT_CLI SHARED_DIR
set -euo pipefail
java="$1" jni="$2" classpath="$3" cli="$4" shared="$5"
model="$shared/fixtures/models/tiny_quickgelu/model.jit.pt"
vocab="$shared/data/clip/bpe_simple_vocab_16e6.txt.gz"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
check() {  # check IMAGE TEXT...
  local image="$1"; shift
  local cli_args=()
  for t in "$@"; do cli_args+=(-t "$t"); done
  "$java" -Dclipkit.jni="$jni" -cp "$classpath" ImageTextSearchExample "$model" "$vocab" "$image" "$@" > "$work/java.txt"
  "$cli" classify -m "$model" --vocab "$vocab" -i "$image" "${cli_args[@]}" > "$work/cli.txt"
  if cmp -s "$work/java.txt" "$work/cli.txt" && [ -s "$work/cli.txt" ]; then
    echo "same report ($(wc -l < "$work/cli.txt") lines) for $image"
  else
    echo "FAIL: the reports differ for $image $* (< java, > clipkit classify):"
    diff "$work/java.txt" "$work/cli.txt" || true
    status=1
  fi
}
check "$shared/data/images/CLIP.png" "a diagram" "a dog" "a cat"
check "$shared/data/images/astronaut.png" "an astronaut in a white suit" 'a "quoted" dog 🐶' "日本語のテキスト" "don’t panic"
cat "$work/java.txt"
exit $status
