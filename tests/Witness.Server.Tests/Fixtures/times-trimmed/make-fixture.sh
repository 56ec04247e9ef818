#!/usr/bin/env bash
# Makes this fixture with a build of Witness from before the fixed time form (main at f3f50ee):
#
#   git -C <repo> archive f3f50ee | tar -x -C /tmp/mainsrc
#   (cd /tmp/mainsrc && dotnet build src/Witness -c Release)
#   bash make-fixture.sh /tmp/mainsrc/src/Witness/bin/Release/net10.0 <this folder>
#
# Writes witness.db, the checkpoint signing key, public-key.pem and the two NDJSON exports (whole log, and
# filtered with proofs) of tenant acme, taken by that build before anything else touched the store.
set -euo pipefail
BIN="$(cd "$1" && pwd -P)"
OUT="$(mkdir -p "$2" && cd "$2" && pwd -P)"
WORK="$(mktemp -d)"
DATA="$WORK/data"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
witness() { dotnet "$BIN/witness.dll" "$@"; }

KEY=$(witness keys create --tenant acme --scopes events:write events:read admin --data "$DATA" | tail -n 1)
witness serve --data "$DATA" --urls "$URL" >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 120); do curl -sf "$URL/healthz/ready" >/dev/null && break; sleep 1; done

post() { curl -sS --fail-with-body -X POST "$URL/v1/events" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$1" >/dev/null; }

# Times as clients send them: a whole second, a half second, six digits with trailing zeros, an offset, none at all.
post '{"id":"old-1","action":"user.login","occurred_at":"2026-11-02T09:00:00Z","actor":{"id":"u_olga","name":"Olga Trimmed","email":"olga.trimmed@example.com"},"context":{"ip":"203.0.113.7","user_agent":"Mozilla/5.0"}}'
post '{"id":"old-2","action":"inbox.update","occurred_at":"2026-11-02T09:00:00.5Z","actor":{"id":"u_olga","name":"Olga Trimmed","email":"olga.trimmed@example.com"},"targets":[{"type":"inbox","id":"7","name":"Support"}]}'
post '{"id":"old-3","action":"inbox.update","occurred_at":"2026-11-02T09:00:01.120000Z","actor":{"id":"u_ben","name":"Ben","email":"ben@example.com"},"targets":[{"type":"inbox","id":"7"}]}'
post '{"id":"old-4","action":"team.create","occurred_at":"2026-11-02T10:00:02.123456+01:00","actor":{"id":"u_olga","email":"olga.trimmed@example.com"},"description":"Created a team"}'
post '{"id":"old-5","action":"settings.change"}'
post '{"id":"old-6","action":"billing.plan_change","occurred_at":"2026-11-02T09:00:03Z","type":"activity","category":"Billing","actor":{"type":"system"},"metadata":{"plan":"pro"}}'
post '{"events":[{"id":"old-7","action":"user.logout","occurred_at":"2026-11-02T09:30:00.000001Z","actor":{"id":"u_olga","name":"Olga Trimmed","email":"olga.trimmed@example.com"},"context":{"ip":"2001:db8::1","location":{"country":"IT","city":"Milan"}}},
       {"id":"old-8","action":"user.login","occurred_at":"2026-11-02T09:31:00.25Z","actor":{"id":"u_ben","email":"ben@example.com"}}]}'

curl -sf "$URL/v1/events/export?format=ndjson" -H "Authorization: Bearer $KEY" -o "$OUT/export.ndjson"
curl -sf "$URL/v1/events/export?format=ndjson&action=inbox.update" -H "Authorization: Bearer $KEY" -o "$OUT/export-proofs.ndjson"
curl -sf "$URL/v1/public-key" -o "$OUT/public-key.pem"
kill -TERM $SERVER
wait $SERVER || true
witness verify --tenant acme --data "$DATA"
for f in "$DATA"/*; do
  case "$(basename "$f")" in
    witness.db|checkpoint-signing-key.pem*) cp "$f" "$OUT/" ;;
  esac
done
ls -la "$DATA" "$OUT"
