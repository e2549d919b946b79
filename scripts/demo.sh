#!/usr/bin/env bash
# Runs a whole border post on this machine, on embedded defaults: mosquitto, the weighbridge,
# camera, radiation portal and X-ray simulators, the lane controller (kordon-sim-lane, the
# barrier), kordond, kordon-central, then drives simulated
# trucks through lane L1 until Ctrl-C. Only the state directories are placed under build/demo/ so nothing lands in /var/lib.
#
#   scripts/demo.sh            # trucks forever, Ctrl-C stops everything cleanly
#   scripts/demo.sh --once     # the six demo trucks once, then stop (exit 0 if all matched)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

once=0
[[ ${1:-} == --once ]] && once=1
bin=$PWD/build/bin
demo=$PWD/build/demo
rm -rf "$demo"
mkdir -p "$demo/logs"

pids=()
names=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "demo: stopping"
  # Reverse start order: kordond drains its outbox while the broker still runs.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  echo "demo: stopped; logs and databases are in $demo"
}
trap cleanup INT TERM EXIT

start() {  # name port command...
  local name=$1 port=$2
  shift 2
  "$@" >"$demo/logs/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "demo: $name exited; its log:" >&2
      tail -20 "$demo/logs/$name.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "demo: $name did not listen on port $port" >&2
  exit 1
}

if (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  echo "demo: a broker already listens on 127.0.0.1:1883; using it"
else
  printf 'listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\n' >"$demo/mosquitto.conf"
  start mosquitto 1883 /usr/sbin/mosquitto -c "$demo/mosquitto.conf"
fi
# central's API takes bearer tokens: one for the scenario runner (it declares the trucks and
# reads what the post did), one for you (admin: everything, the audit trail too).
"$bin/kordon-central" token add --tokens "$demo/tokens.toml" --name demo-scenario \
  --roles declarant,viewer --posts KZ-DEMO >"$demo/scenario.token"
"$bin/kordon-central" token add --tokens "$demo/tokens.toml" --name demo-admin \
  --roles admin >"$demo/admin.token"
printf '[central]\ndb = "%s/central.db"\n[http]\ntokens_file = "%s/tokens.toml"\n' \
  "$demo" "$demo" >"$demo/central.toml"
start kordon-central 8090 "$bin/kordon-central" serve --config "$demo/central.toml"
start weighbridge-sim 8501 "$bin/kordon-sim-weighbridge"
start rpm-sim 8503 "$bin/kordon-sim-rpm"
start lane-controller 8505 "$bin/kordon-sim-lane" --control 127.0.0.1:8505
start kordond 8080 "$bin/kordond" --state-dir "$demo/kordond"
start anpr-sim 8502 "$bin/kordon-sim-anpr"
start xray-sim 8504 "$bin/kordon-sim-xray"

cat <<INFO

Kordon demo post KZ-DEMO is up (lane L1). Where to look (central's API wants a token; the
demo made an admin one in $demo/admin.token):
  export KORDON_CENTRAL_TOKEN=\$(cat $demo/admin.token)
  events at central     curl -s -H "Authorization: Bearer \$KORDON_CENTRAL_TOKEN" 'http://127.0.0.1:8090/v1/events?post=KZ-DEMO&after=0' | head -c 2000
  as CSV                curl -s -H "Authorization: Bearer \$KORDON_CENTRAL_TOKEN" 'http://127.0.0.1:8090/v1/events?post=KZ-DEMO&format=csv'
  per-post status       curl -s -H "Authorization: Bearer \$KORDON_CENTRAL_TOKEN" http://127.0.0.1:8090/v1/posts
  who changed what      curl -s -H "Authorization: Bearer \$KORDON_CENTRAL_TOKEN" http://127.0.0.1:8090/v1/audit
  kordond status        curl -s http://127.0.0.1:8080/healthz
  central from the CLI  $bin/kordon-central events --db $demo/central.db --post KZ-DEMO
  the MQTT stream       mosquitto_sub -h 127.0.0.1 -t 'kordon/v1/#' -v
  logs                  $demo/logs/
  plate images          $demo/kordond/evidence/
Driving trucks: declared vs weighed, a Cyrillic plate, an overweight truck, a radiation alarm,
an X-ray clear and an X-ray alarm. Ctrl-C stops.

INFO

scenario=("$bin/kordon-scenario" --central-token-file "$demo/scenario.token")
((once)) || scenario+=(--loop)
status=0
"${scenario[@]}" || status=$?
exit $status
