#!/bin/bash
# Worker throughput against `clipkit index` on the same pictures (docs/scale.md):
# N generated SIZE px BMPs, embedded once by `clipkit index` and once through a one-node
# NATS JetStream cluster by one `clipkit worker` (jobs enqueued first). Each reports its
# own time without the model load: index from its walk to its last commit, the worker from
# its first job to its last result acknowledged by JetStream. Same model, same threads.
#
#   bench/cluster_throughput.sh BUILD_DIR MODEL [N=400] [SIZE=384] [THREADS=2] [BATCH=32]
set -euo pipefail
build=$1 model=$2 n=${3:-400} size=${4:-384} threads=${5:-2} batch=${6:-32}
clipkit=$build/clipkit
work=$(mktemp -d)
nats_pid=
trap '[ -n "$nats_pid" ] && kill -9 $nats_pid 2>/dev/null; rm -rf "$work"' EXIT
"$build/tests/cluster_images" "$work/images" "$n" "$size"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "$n pictures, ${size}x$size BMP; model $model; $threads threads; batch $batch"

seconds=$("$clipkit" index --db "$work/index.clipkit" --model "$model" --threads "$threads" --batch "$batch" --json -q \
  "$work/images" | jq .seconds)
echo "clipkit index: $n in $seconds s, $(awk "BEGIN { printf \"%.1f\", $n / $seconds }") images/s"

port=$((20000 + RANDOM % 30000))
nats-server -js -sd "$work/js" -a 127.0.0.1 -p $port > "$work/nats.log" 2>&1 &
nats_pid=$!
url=nats://127.0.0.1:$port
until "$clipkit" cluster init --nats $url --shards 1 > /dev/null 2>&1; do sleep 0.2; done
"$clipkit" enqueue --nats $url "$work/images" > /dev/null
echo "clipkit worker: $("$clipkit" worker --nats $url --model "$model" --threads "$threads" --batch "$batch" -q \
  --exit-when-idle 2000)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
