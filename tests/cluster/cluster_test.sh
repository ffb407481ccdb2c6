#!/bin/bash
# The loopback cluster test (issue 11): three nats-server nodes clustered on 127.0.0.1
# (JetStream, replicas 3), two workers, two shards × two replicas, 300 generated images.
# Mid-run (a second wave of 200 jobs queued, worker A holding fetched, unacked jobs) it
# kills -9 worker A, one NATS node and one shard replica, lets worker B finish and
# restarts the replica. At the end every file
# must be in exactly one shard once (on both replicas), the results stream must hold
# exactly one result per file, and the merged top-k of `clipkit search --nats` must equal
# a single-machine `clipkit index` + `clipkit search` over the same files.
#
#   cluster_test.sh CLIPKIT CLUSTER_IMAGES NATS_SERVER WORK_DIR SHARED_DIR
set -euo pipefail
clipkit=$1 images_bin=$2 nats_server=$3 work=$4 shared=$5
N=300
rm -rf "$work"
mkdir -p "$work"
declare -A pid
cleanup() {
  for name in "${!pid[@]}"; do kill -9 "${pid[$name]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do echo "--- $f" >&2; tail -n 15 "$f" >&2; done
  exit 1
}
now() { date +%s; }

# Ports: a random base whose six ports nobody listens on.
port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
for _ in $(seq 50); do
  base=$((20000 + RANDOM % 30000))
  ok=1
  for i in 0 1 2 3 4 5; do port_free $((base + i)) || ok=0; done
  [ $ok = 1 ] && break
done
urls="nats://127.0.0.1:$base,nats://127.0.0.1:$((base + 1)),nats://127.0.0.1:$((base + 2))"
routes="nats-route://127.0.0.1:$((base + 3)),nats-route://127.0.0.1:$((base + 4)),nats-route://127.0.0.1:$((base + 5))"
for i in 1 2 3; do
  mkdir -p "$work/n$i"
  cat > "$work/n$i.conf" <<EOF
server_name: n$i
listen: 127.0.0.1:$((base + i - 1))
jetstream { store_dir: "$work/n$i" }
cluster {
  name: clipkit-test
  listen: 127.0.0.1:$((base + i + 2))
  routes: [$(echo "$routes" | sed 's/,/, /g')]
}
EOF
  "$nats_server" -c "$work/n$i.conf" > "$work/nats$i.log" 2>&1 &
  pid[nats$i]=$!
done

"$images_bin" "$work/images" $N
[ "$(ls "$work/images" | wc -l)" = $N ] || fail "the generator wrote $(ls "$work/images" | wc -l) images, not $N"

# The JetStream meta leader takes a moment to be elected: init retries until then.
deadline=$(($(now) + 30))
until "$clipkit" cluster init --nats "$urls" --shards 2 --replicas 3 --ack-wait 3 > "$work/init.out" 2> "$work/init.log"; do
  [ "$(now)" -lt $deadline ] || fail "cluster init never succeeded"
  sleep 0.5
done
grep -q "cluster ready: 2 shards, 3 replicas" "$work/init.out" || fail "init said: $(cat "$work/init.out")"
# A second init with another shard count is refused, naming both.
if "$clipkit" cluster init --nats "$urls" --shards 3 --replicas 3 2> "$work/init3.log"; then fail "init --shards 3 was accepted"; fi
grep -q "has 2 shards, not 3" "$work/init3.log" || fail "init --shards 3 said: $(cat "$work/init3.log")"

# Two waves: the first 100 files now, the other 200 while the workers are frozen (below).
mkdir -p "$work/images/wave1" "$work/images/wave2"
for f in "$work"/images/img*.bmp; do
  n=$(basename "$f" .bmp)
  if [ $((10#${n#img})) -lt 100 ]; then mv "$f" "$work/images/wave1/"; else mv "$f" "$work/images/wave2/"; fi
done
"$clipkit" enqueue --nats "$urls" --json "$work/images/wave1" > "$work/enqueue1.json"
[ "$(jq .queued "$work/enqueue1.json")" = 100 ] || fail "first enqueue: $(cat "$work/enqueue1.json")"
"$clipkit" enqueue --nats "$urls" --json "$work/images/wave1" > "$work/enqueue2.json"
[ "$(jq .queued "$work/enqueue2.json")" = 0 ] && [ "$(jq .duplicates "$work/enqueue2.json")" = 100 ] ||
  fail "re-enqueueing the same files was not a no-op: $(cat "$work/enqueue2.json")"

for s in 0 1; do
  for r in a b; do
    "$clipkit" shard --nats "$urls" --shard $s --shards 2 --dir "$work/shard$s$r" --replica "s$s$r" --batch 16 \
      > "$work/shard$s$r.log" 2>&1 &
    pid[shard$s$r]=$!
  done
done
for w in A B; do
  "$clipkit" worker --nats "$urls" --batch 8 --threads 1 --decode-threads 1 > "$work/worker$w.out" 2> "$work/worker$w.log" &
  pid[worker$w]=$!
done

status() { "$clipkit" cluster status --nats "$urls" --json --wait "${1:-300}" 2>> "$work/status.log"; }
# Mid-run. Wave 1 done, both workers are frozen and wave 2 (200 jobs) is queued; worker A
# then runs in short slices until it holds jobs it has fetched and not acked. Then worker A,
# NATS node 1 and shard 0's replica b are killed outright, and worker B (thawed) finishes.
deadline=$(($(now) + 120))
while :; do
  s=$(status 100 || echo '{}')
  [ "$(echo "$s" | jq '.jobs_done == 100 and .jobs_pending == 0' 2>/dev/null)" = true ] && break
  [ "$(now)" -lt $deadline ] || fail "wave 1 never finished: $(echo "$s" | jq -c '{jobs_pending, jobs_done}')"
  sleep 0.2
done
kill -STOP "${pid[workerA]}" "${pid[workerB]}"
"$clipkit" enqueue --nats "$urls" --json "$work/images" > "$work/enqueue3.json"
[ "$(jq -c '[.queued, .duplicates]' "$work/enqueue3.json")" = '[200,100]' ] || fail "wave 2: $(cat "$work/enqueue3.json")"
for _ in $(seq 100); do
  kill -CONT "${pid[workerA]}"
  sleep 0.05
  kill -STOP "${pid[workerA]}"
  at_kill=$(status 50)
  [ "$(echo "$at_kill" | jq .jobs_in_flight)" -gt 0 ] && break
done
echo "at the kills: $(echo "$at_kill" | jq -c '{jobs_pending, jobs_in_flight, jobs_done}')"
[ "$(echo "$at_kill" | jq .jobs_in_flight)" -gt 0 ] || fail "worker A never held an unacked job"
[ "$(echo "$at_kill" | jq .jobs_pending)" -gt "$(echo "$at_kill" | jq .jobs_in_flight)" ] ||
  fail "the kills came after the last job was fetched"
kill -9 "${pid[workerA]}" "${pid[nats1]}" "${pid[shard0b]}"
unset 'pid[workerA]' 'pid[nats1]'
kill -CONT "${pid[workerB]}"

# Worker B alone finishes, through the two NATS nodes left; worker A's jobs come back to it
# after the 3 s ack wait.
deadline=$(($(now) + 180))
while :; do
  s=$(status 300 || echo '{}')
  if [ "$(echo "$s" | jq '.jobs_pending == 0 and .jobs_done == '$N 2>/dev/null)" = true ]; then break; fi
  [ "$(now)" -lt $deadline ] || fail "jobs never finished: $(echo "$s" | jq -c '{jobs_pending, jobs_done, jobs_failed}')"
  sleep 0.5
done
# The killed replica comes back on its folder and durable consumer, and catches up.
"$clipkit" shard --nats "$urls" --shard 0 --dir "$work/shard0b" --replica s0b --batch 16 >> "$work/shard0b.log" 2>&1 &
pid[shard0b]=$!
deadline=$(($(now) + 60))
while :; do
  s=$(status 500 || echo '{}')
  caught_up=$(echo "$s" | jq '[.shard_status[].replicas[]] | length == 4 and all(.lag == 0)' 2>/dev/null || echo false)
  per_shard=$(echo "$s" | jq -c '[.shard_status[] | [.replicas[].vectors] | unique]' 2>/dev/null || echo '')
  if [ "$caught_up" = true ] && [ "$(echo "$per_shard" | jq 'all(length == 1) and (map(.[0]) | add) == '$N)" = true ]; then
    break
  fi
  [ "$(now)" -lt $deadline ] || fail "replicas never agreed: $(echo "$s" | jq -c '.shard_status')"
  sleep 0.5
done
echo "final: $(echo "$s" | jq -c '{jobs_pending, jobs_done, jobs_failed, shards: [.shard_status[] | {shard, results, vectors: [.replicas[].vectors]}]}')"
[ "$(echo "$s" | jq .jobs_failed)" = 0 ] || fail "jobs failed: $(echo "$s" | jq -c .failures)"
# Exactly one result per file (a redelivered job's result was dropped as a duplicate).
[ "$(echo "$s" | jq '[.shard_status[].results] | add')" = $N ] || fail "results per shard: $(echo "$s" | jq -c '[.shard_status[].results]')"

# The merged ranking of all 300 equals one machine's, for two texts and an image.
"$clipkit" index --db "$work/single.clipkit" --threads 1 -q "$work/images" > /dev/null
compare() {
  local name=$1
  shift
  "$clipkit" search --nats "$urls" -k $N --json --threads 1 "$@" > "$work/$name.cluster.json" 2>> "$work/search.log"
  "$clipkit" search --db "$work/single.clipkit" -k $N --json --threads 1 "$@" > "$work/$name.single.json"
  [ "$(jq .partial "$work/$name.cluster.json")" = false ] || fail "$name: partial results: $(jq -c .missing "$work/$name.cluster.json")"
  [ "$(jq '[.results[].path] | length' "$work/$name.cluster.json")" = $N ] || fail "$name: not $N results"
  [ "$(jq '[.results[].path] | unique | length' "$work/$name.cluster.json")" = $N ] || fail "$name: a file twice"
  # Same paths at each rank, or (a near tie) scores within 1e-5 of each other; scores equal within 1e-5.
  jq -n --slurpfile c "$work/$name.cluster.json" --slurpfile l "$work/$name.single.json" '
    [range(0; $c[0].results | length) as $i
     | {c: $c[0].results[$i], l: $l[0].results[$i]}
     | select((.c.score - .l.score | fabs) > 1e-5 or (.c.path != .l.path and ((.c.score - .l.score) | fabs) > 1e-5))]
    | length' > "$work/$name.diff"
  [ "$(cat "$work/$name.diff")" = 0 ] || fail "$name: $(cat "$work/$name.diff") ranks differ from the single-machine search"
  [ "$(jq '[.results[].path] | sort' "$work/$name.cluster.json")" = "$(jq '[.results[].path] | sort' "$work/$name.single.json")" ] ||
    fail "$name: the cluster and the single index hold different files"
  echo "$name: top-$N equal to the single-machine search (best $(jq -r '.results[0].path' "$work/$name.cluster.json" | xargs basename) $(jq '.results[0].score' "$work/$name.cluster.json"))"
}
compare red "a red circle"
compare blue "blue"
compare image --image "$work/images/wave1/img0042.bmp"
[ "$(jq -r '.results[0].path' "$work/image.cluster.json")" = "$work/images/wave1/img0042.bmp" ] || fail "the image query did not find itself first"

# clipkit serve --nats: the web app's API over the cluster gives the same hits, and serves
# the image bytes of a hit by the id it gave.
"$clipkit" serve --nats "$urls" --port 0 --threads 1 2> "$work/serve.log" &
pid[serve]=$!
deadline=$(($(now) + 30))
until grep -q "on http://127.0.0.1:" "$work/serve.log"; do
  [ "$(now)" -lt $deadline ] || fail "serve --nats never started: $(cat "$work/serve.log")"
  sleep 0.2
done
serve_port=$(sed -n 's|.*on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/serve.log" | head -n 1)
http_get() {  # URL-PATH OUT: the body into OUT (headers dropped)
  exec 5<>/dev/tcp/127.0.0.1/"$serve_port"
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$1" >&5
  local line
  while IFS= read -r -u 5 line; do [ "$line" = $'\r' ] && break; done
  cat <&5 > "$2"
  exec 5<&-
}
http_get "/api/search?q=blue&k=5" "$work/serve.json"
[ "$(jq -c '[.results[].path]' "$work/serve.json")" = "$(jq -c '[.results[0:5][].path]' "$work/blue.cluster.json")" ] ||
  fail "serve --nats: $(cat "$work/serve.json")"
[ "$(jq -c '[.shards, .partial]' "$work/serve.json")" = '[2,false]' ] || fail "serve --nats: $(cat "$work/serve.json")"
http_get "$(jq -r '.results[0].url' "$work/serve.json")" "$work/served.bin"
cmp -s "$work/served.bin" "$(jq -r '.results[0].path' "$work/serve.json")" || fail "serve --nats served other bytes for the first hit"
echo "serve --nats: the same top 5, and the first hit's bytes"

# With a shard's replicas all gone, a search says so (partial), never silently.
kill -9 "${pid[shard1a]}" "${pid[shard1b]}"
unset 'pid[shard1a]' 'pid[shard1b]'
http_get "/api/search?q=blue&k=5" "$work/serve_partial.json"
[ "$(jq -c '[.partial, .missing]' "$work/serve_partial.json")" = '[true,[1]]' ] ||
  fail "serve --nats with shard 1 down: $(cat "$work/serve_partial.json")"
"$clipkit" search --nats "$urls" -k 5 --json --deadline 1500 "blue" > "$work/partial.json" 2> "$work/partial.log"
[ "$(jq -c '[.partial, .missing]' "$work/partial.json")" = '[true,[1]]' ] || fail "partial search: $(cat "$work/partial.json")"
grep -q "PARTIAL results: shard(s) 1 did not answer" <("$clipkit" search --nats "$urls" -k 5 --deadline 1500 "blue" 2>&1 >/dev/null) ||
  fail "the text search did not warn about shard 1"

# A second model is refused by the cluster.
if "$clipkit" worker --nats "$urls" --model "$shared/fixtures/models/tiny_quickgelu/hf" \
     --vocab "$shared/data/clip/bpe_simple_vocab_16e6.txt.gz" --exit-when-idle 100 \
     2> "$work/other.log"; then
  fail "a worker with another model was accepted"
fi
grep -q "embeds with another model" "$work/other.log" || fail "another model: $(cat "$work/other.log")"

# Stop what is left with SIGTERM: each returns.
kill -TERM "${pid[workerB]}" "${pid[shard0a]}" "${pid[shard0b]}" "${pid[serve]}"
for name in workerB shard0a shard0b serve; do
  wait "${pid[$name]}" || fail "$name did not stop cleanly on SIGTERM"
  unset "pid[$name]"
done
echo "PASS"
