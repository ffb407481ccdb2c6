#!/bin/bash
# Worker throughput against `clipkit index` on the same pictures (docs/scale.md):
# N generated SIZE px BMPs, embedded once by `clipkit index` and once through a one-node
# NATS JetStream cluster by one `clipkit worker` (enqueue first; the clock runs from the
# worker's start to the N-th result in the stream). Same model, same threads.
#
#   bench/cluster_throughput.sh BUILD_DIR MODEL [N=400] [SIZE=384] [THREADS=2]
set -euo pipefail
build=$1 model=$2 n=${3:-400} size=${4:-384} threads=${5:-2}
clipkit=$build/clipkit
work=$(mktemp -d)
trap 'kill -9 $nats_pid 2>/dev/null || true; rm -rf "$work"' EXIT
"$build/tests/cluster_images" "$work/images" "$n" "$size"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$n pictures, ${size}x$size BMP; model $model; $threads threads"
ms() { date +%s%3N; }

t0=$(ms)
"$clipkit" index --db "$work/index.clipkit" --model "$model" --threads "$threads" -q "$work/images" > /dev/null
t1=$(ms)
echo "clipkit index: $((t1 - t0)) ms (model load included), $(awk "BEGIN { printf \"%.1f\", $n * 1000 / ($t1 - $t0) }") images/s"

port=$((20000 + RANDOM % 30000))
nats-server -js -sd "$work/js" -a 127.0.0.1 -p $port > "$work/nats.log" 2>&1 &
nats_pid=$!
url=nats://127.0.0.1:$port
until "$clipkit" cluster init --nats $url --shards 1 > /dev/null 2>&1; do sleep 0.2; done
"$clipkit" enqueue --nats $url "$work/images" > /dev/null
t0=$(ms)
"$clipkit" worker --nats $url --model "$model" --threads "$threads" -q > /dev/null 2>&1 &
worker=$!
until [ "$("$clipkit" cluster status --nats $url --json --wait 1 | jq .jobs_done)" = "$n" ]; do sleep 0.05; done
t1=$(ms)
kill -TERM $worker
wait $worker || true
echo "clipkit worker: $((t1 - t0)) ms (model load included), $(awk "BEGIN { printf \"%.1f\", $n * 1000 / ($t1 - $t0) }") images/s"
