#!/usr/bin/env bash
# robot_e2e.sh - examples/robot end to end against the real `genesis serve`.
#
# Users, a project and tokens are made with the genesis command; the
# campaign of examples/robot/robot-campaign.yaml is created over HTTP;
# two robots (one asking for 1 experiment at a time, one for 2, with
# simulated instrument faults) run it to its budget while the server is
# stopped (SIGTERM) and started again on the same database and port in the
# middle. Then: the campaign is completed; every experiment was told
# exactly once (one 2xx answer in the robots' logs, by one robot, with the
# value or failure the server holds); `genesis audit verify` passes.
#
# Usage: robot_e2e.sh GENESIS_BIN ROBOT_DIR WORK_DIR
# Exit status 77 (ctest: skipped) when genesis has no serve command.
set -uo pipefail

genesis=$1
robot=$2/robot
spec=$2/robot-campaign.yaml
work=$3

fail() { echo "robot_e2e: FAIL: $*" >&2; exit 1; }
say() { echo "robot_e2e: $*"; }

if ! help=$("$genesis" serve --help 2>&1) || ! grep -q "genesis serve" <<<"$help"; then
  echo "SKIP: $genesis has no serve command (serve --help: ${help:0:200})"
  exit 77
fi
[ -x "$robot" ] || fail "no robot at $robot (build the examples)"
command -v jq >/dev/null || fail "jq is needed"
command -v curl >/dev/null || fail "curl is needed"

rm -rf "$work" && mkdir -p "$work" || fail "cannot make $work"
db=$work/genesis.db
log=$work/server.log
: >"$log"
export GENESIS_DB=$db
server_pid=
robot_pids=()
cleanup() {
  for p in "${robot_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null
  wait 2>/dev/null
}
trap cleanup EXIT

g() { "$genesis" "$@" 2>>"$work/cli.log" || fail "genesis $* (see $work/cli.log)"; }
token_of() { g token create "$1" | grep -o 'gns_[A-Za-z0-9_-]*' | head -n 1; }

g project add lab
g user add alice
g project member lab alice --role maintainer --clearance internal
for r in robot1 robot2; do
  g user add $r
  g project member lab $r --role experimenter --clearance internal
done
alice=$(token_of alice)
robot1=$(token_of robot1)
robot2=$(token_of robot2)
[ -n "$alice" ] && [ -n "$robot1" ] && [ -n "$robot2" ] || fail "genesis token create printed no token"

# start_server PORT: starts genesis serve and waits for "listening on".
port=0
start_server() {
  local before url
  before=$(wc -l <"$log" 2>/dev/null || echo 0)
  "$genesis" serve --listen "127.0.0.1:$port" --db "$db" >>"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    url=$(tail -n +"$((before + 1))" "$log" | grep -o 'listening on http://[^ ]*' | head -n 1)
    if [ -n "$url" ]; then
      port=${url##*:}
      port=${port%%/*}
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$log" >&2; fail "genesis serve exited at start"; }
    sleep 0.1
  done
  tail -n 20 "$log" >&2
  fail "genesis serve printed no 'listening on' line in 60 s"
}
api() { echo "http://127.0.0.1:$port/api/v1"; }
get() { curl -sS -H "Authorization: Bearer $alice" "$(api)$1"; }

start_server
say "server on port $port"

# the campaign, over HTTP
code=$(jq -n --rawfile spec "$spec" '{spec: $spec, project: "lab", classification: "internal"}' |
  curl -sS -o "$work/create.json" -w '%{http_code}' -H "Authorization: Bearer $alice" \
    -H 'Content-Type: application/json' -d @- "$(api)/campaigns")
[ "$code" = 201 ] || fail "POST /campaigns: $code $(cat "$work/create.json")"
name=$(jq -r .name "$work/create.json")
budget=$(jq -r .budget "$work/create.json")
say "campaign $name, budget $budget"

# two robots
"$robot" --url "http://127.0.0.1:$port" --token "$robot1" --campaign "$name" --count 1 \
  --lease 20 --fail-rate 0.2 --duration-ms 40 --seed 1 --name robot1 --deadline 60 \
  --log "$work/robot1.jsonl" >"$work/robot1.out" 2>&1 &
robot_pids+=($!)
GENESIS_TOKEN=$robot2 "$robot" --url "http://127.0.0.1:$port/api/v1" --campaign "$name" --count 2 \
  --lease 20 --fail-rate 0.2 --duration-ms 40 --seed 2 --name robot2 --deadline 60 \
  --log "$work/robot2.jsonl" >"$work/robot2.out" 2>&1 &
robot_pids+=($!)

# restart the server in the middle of the campaign
for _ in $(seq 1 600); do
  done_now=$(get "/campaigns/$name" | jq '.counts.completed + .counts.failed')
  [ "${done_now:-0}" -ge $((budget / 3)) ] && break
  sleep 0.1
done
say "$done_now of $budget done: stopping the server (SIGTERM)"
kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
[ "$rc" = 0 ] || fail "genesis serve exited with $rc on SIGTERM"
server_pid=
sleep 1
start_server
say "server started again on port $port"

# the robots finish on their own
for i in 0 1; do
  for _ in $(seq 1 1200); do
    kill -0 "${robot_pids[$i]}" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "${robot_pids[$i]}" 2>/dev/null && fail "robot$((i + 1)) still running after 120 s (see $work/robot$((i + 1)).out)"
  wait "${robot_pids[$i]}"
  rc=$?
  [ "$rc" = 0 ] || { cat "$work/robot$((i + 1)).out" >&2; fail "robot$((i + 1)) exited with $rc"; }
done
robot_pids=()
tail -n 1 "$work/robot1.out" "$work/robot2.out"

# the campaign is complete
get "/campaigns/$name" >"$work/campaign.json"
state=$(jq -r .state "$work/campaign.json")
[ "$state" = completed ] || fail "campaign state $state, expected completed: $(cat "$work/campaign.json")"
jq -e --argjson b "$budget" '.counts.completed + .counts.failed == $b and .counts.proposed == 0
  and .counts.running == 0 and .counts.abandoned == 0' "$work/campaign.json" >/dev/null ||
  fail "counts: $(jq -c .counts "$work/campaign.json")"
get "/campaigns/$name/experiments?limit=1000" >"$work/experiments.json"
n=$(jq '.items | length' "$work/experiments.json")
[ "$n" = "$budget" ] || fail "$n experiments, expected $budget"

# every experiment told exactly once, with what the server holds
cat "$work/robot1.jsonl" "$work/robot2.jsonl" >"$work/tells.jsonl"
bad=$(jq -s '[.[] | select(.status != 200 and .status != 201)]' "$work/tells.jsonl")
[ "$bad" = "[]" ] || fail "tells not recorded: $bad"
dups=$(jq -s 'group_by(.experiment) | map(select(length > 1)) | length' "$work/tells.jsonl")
[ "$dups" = 0 ] || fail "experiments told more than once: $(jq -s -c 'group_by(.experiment) | map(select(length > 1))' "$work/tells.jsonl")"
told=$(jq -s 'length' "$work/tells.jsonl")
[ "$told" = "$budget" ] || fail "$told tells answered 2xx, expected $budget"
mismatch=$(jq -n --slurpfile tells "$work/tells.jsonl" --slurpfile exps "$work/experiments.json" '
  ($tells | map({(.experiment | tostring): .}) | add) as $t
  | [$exps[0].items[] | . as $e | $t[($e.id | tostring)] as $x
     | select($x == null
              or ($x.failure == null and ($e.status != "completed" or $e.outcome.f != $x.value))
              or ($x.failure != null and ($e.status != "failed" or (($e.reason // "") | contains($x.failure) | not))))
     | {id: $e.id, status: $e.status, outcome: $e.outcome, reason: $e.reason, told: $x}]')
[ "$mismatch" = "[]" ] || fail "the server holds something else than what was told: $mismatch"
replays=$(jq -s 'map(select(.replayed)) | length' "$work/tells.jsonl")
failures=$(jq -s 'map(select(.failure != null)) | length' "$work/tells.jsonl")
say "$told experiments told once each ($failures failures, $replays answers replayed after the restart)"

kill -TERM "$server_pid"
wait "$server_pid"
rc=$?
server_pid=
[ "$rc" = 0 ] || fail "genesis serve exited with $rc on SIGTERM"
"$genesis" audit verify --db "$db" >"$work/audit.out" 2>&1 || fail "genesis audit verify: $(cat "$work/audit.out")"
say "audit chain verifies: $(tail -n 1 "$work/audit.out")"
say "ok"
