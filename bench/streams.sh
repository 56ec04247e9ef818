#!/usr/bin/env bash
# Log stream backfill to rsyslog over TCP (issue 19).
#
#   bench/streams.sh [EVENTS] [FOLDER]      # defaults: 1000000, /tmp/bench-streams-<timestamp>
#
# Fills tenant `bench` of a fresh SQLite data folder with EVENTS events (`witness import`, before the
# server starts), starts Debian's rsyslog (imtcp on a free loopback port, writing each message to a
# file), starts `witness serve` on that folder, creates a syslog stream (format witness) from seq 1 and
# times until the stream's cursor reaches EVENTS. Prints events/s, the server's CPU seconds (user+sys)
# during the backfill, the lines rsyslog wrote and the load average. Needs rsyslog (scripts/test
# installs it) and a Release build of src/Witness. The folder is kept for a rerun
# (bench/streams.sh EVENTS FOLDER skips the fill when the folder holds the events).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
EVENTS="${1:-1000000}"
FOLDER="${2:-/tmp/bench-streams-$(date +%Y%m%d%H%M%S)}"
WITNESS="$REPO/src/Witness/bin/Release/net10.0/witness.dll"
[[ -f "$WITNESS" ]] || dotnet build "$REPO/src/Witness" -c Release >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
mkdir -p "$FOLDER/rsyslog"

if [[ ! -f "$FOLDER/filled-$EVENTS" ]]; then
  python3 - "$EVENTS" > "$FOLDER/events.ndjson" <<'PY'
import json, sys
n = int(sys.argv[1])
actions = ["inbox.create", "inbox.update", "user.login", "user.login_failed", "team.member_add", "bot.publish"]
out = sys.stdout
for i in range(n):
    a = actions[i % len(actions)]
    out.write(json.dumps({"action": a, "category": "Bench", "occurred_at": "2026-12-01T10:00:00Z",
        "actor": {"type": "user", "id": f"u_{i % 500}", "name": f"User {i % 500}", "email": f"user{i % 500}@example.com"},
        "targets": [{"type": "inbox", "id": str(i % 2000), "name": "Support"}],
        "outcome": "failure" if a.endswith("failed") else "success",
        "context": {"ip": f"203.0.113.{i % 250}", "user_agent": "Mozilla/5.0"},
        "metadata": {"n": i}}) + "\n")
PY
  dotnet "$WITNESS" import "$FOLDER/events.ndjson" --tenant bench --data "$FOLDER/data" >/dev/null
  rm "$FOLDER/events.ndjson"
  touch "$FOLDER/filled-$EVENTS"
fi

KEY="$(dotnet "$WITNESS" keys create --tenant bench --scopes admin,events:read --data "$FOLDER/data" | tail -n1)"
RS_PORT="$(free_port)"
rm -f "$FOLDER/rsyslog/out.log"
cat > "$FOLDER/rsyslog/rsyslog.conf" <<CONF
global(workDirectory="$FOLDER/rsyslog" maxMessageSize="64k")
module(load="imtcp")
template(name="raw" type="string" string="%structured-data%\n")
input(type="imtcp" port="$RS_PORT" address="127.0.0.1" ruleset="out")
ruleset(name="out") { action(type="omfile" file="$FOLDER/rsyslog/out.log" template="raw" asyncWriting="on" ioBufferSize="256k") }
CONF
rsyslogd -n -f "$FOLDER/rsyslog/rsyslog.conf" -i "$FOLDER/rsyslog/pid" &
RS_PID=$!
PORT="$(free_port)"
dotnet "$WITNESS" serve --data "$FOLDER/data" --urls "http://127.0.0.1:$PORT" --webhook-allow-host 127.0.0.1 > "$FOLDER/serve.log" 2>&1 &
W_PID=$!
trap 'kill $W_PID $RS_PID 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.2; done

cpu() { awk '{print $14 + $15}' "/proc/$W_PID/stat"; }
TICKS="$(getconf CLK_TCK)"
CPU0="$(cpu)"
T0="$(date +%s.%N)"
ID="$(curl -sf -X POST "http://127.0.0.1:$PORT/v1/streams" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d "{\"name\":\"bench\",\"kind\":\"syslog\",\"url\":\"tcp://127.0.0.1:$RS_PORT\",\"start_seq\":1}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
while :; do
  SEQ="$(curl -sf "http://127.0.0.1:$PORT/v1/streams/$ID" -H "Authorization: Bearer $KEY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["delivered_seq"])')"
  [[ "$SEQ" -ge "$EVENTS" ]] && break
  sleep 0.25
done
T1="$(date +%s.%N)"
CPU1="$(cpu)"
sleep 1
LINES="$(wc -l < "$FOLDER/rsyslog/out.log")"
python3 - "$EVENTS" "$T0" "$T1" "$CPU0" "$CPU1" "$TICKS" "$LINES" <<'PY'
import sys
n, t0, t1, c0, c1, tick, lines = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
wall = t1 - t0
cpu = (c1 - c0) / tick
print(f"backfill of {n:,} events to rsyslog over TCP: {wall:.1f} s wall, {n / wall:,.0f} events/s, server CPU {cpu:.1f} s ({cpu * 1e6 / n:.1f} us/event), rsyslog wrote {lines:,} lines")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); folder: $FOLDER"
