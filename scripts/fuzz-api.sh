#!/usr/bin/env bash
# schemathesis against the central server's JSON API (docs/ROBUSTNESS.md), all on 127.0.0.1:
# a private PostgreSQL cluster (scripts/pg.sh on its own port and folder) with a fresh database,
# `placecode-central serve` on a loopback port, an enrolled desk and a tracing credential, then
# two bounded schemathesis runs over /api/v1/openapi.json with every check: JSON bodies as
# they are, then every JSON body gzip-compressed (Content-Encoding: gzip). The server and the
# cluster are stopped at the end, whatever happens.
#
# Environment (defaults): FUZZ_API_EXAMPLES (30) test cases per operation and phase,
# FUZZ_API_SECONDS (240) time budget of each schemathesis run, FUZZ_API_SEED (20261129),
# FUZZ_API_PORT (18691) the server's port, PLACECODE_PG_PORT (55691) and PLACECODE_PG_DIR
# (/tmp/placecode-fuzz-pg) the cluster, FUZZ_API_KEEP_PG=1 to leave the cluster running,
# FUZZ_NICE (10). Reports and logs: target/fuzz-logs/api/.
# Exits non-zero when schemathesis reported a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"

SCHEMATHESIS_VERSION=4.32.5
VENV=target/fuzz-venv
EXAMPLES=${FUZZ_API_EXAMPLES:-30}
BUDGET=${FUZZ_API_SECONDS:-240}
SEED=${FUZZ_API_SEED:-20261129}
API_PORT=${FUZZ_API_PORT:-18691}
export PLACECODE_PG_PORT=${PLACECODE_PG_PORT:-55691}
export PLACECODE_PG_DIR=${PLACECODE_PG_DIR:-/tmp/placecode-fuzz-pg}
NICE="nice -n ${FUZZ_NICE:-10}"
BASE="http://127.0.0.1:$API_PORT"
OUT=target/fuzz-logs/api
DB=placecode_fuzz_api

# schemathesis, pinned, in its own virtualenv.
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
	echo "Installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
PY="$VENV/bin/python"

echo "Building placecode-central"
$NICE cargo build -q -p placecode-central
BIN="$ROOT/target/debug/placecode-central"

rm -rf "$OUT"
mkdir -p "$OUT"
export PLACECODE_FUZZ_ST_CACHE="$ROOT/$OUT/schemathesis-cache"
WORK=$(mktemp -d /tmp/placecode-fuzz-api.XXXXXX)
SERVER_PID=""
PG_STARTED=""
cleanup() {
	status=$?
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	[ -f "$WORK/server.log" ] && cp "$WORK/server.log" "$OUT/server.log"
	if [ -n "$PG_STARTED" ] && [ "${FUZZ_API_KEEP_PG:-0}" != 1 ]; then
		scripts/pg.sh stop || true
	fi
	rm -rf "$WORK"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# PostgreSQL on its own port and folder, and a fresh database for this run.
scripts/pg.sh start >/dev/null
PG_STARTED=1
psql -q -h 127.0.0.1 -p "$PLACECODE_PG_PORT" -U placecode -d postgres \
	-c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
export DATABASE_URL="postgres://placecode@127.0.0.1:$PLACECODE_PG_PORT/$DB"
export PLACECODE_SECRET_FILE="$WORK/secret.key"
export PLACECODE_DATA_KEY_FILE="$WORK/data.key"
export PLACECODE_PUBLIC_URL="$BASE"
export PLACECODE_LISTEN="127.0.0.1:$API_PORT"
export PLACECODE_LOG_FORMAT=json
# The tracing API's hourly query limit, where the server has one: high enough that the run
# tests the queries, not the limit.
export PLACECODE_TRACER_PER_HOUR=100000

echo "Starting placecode-central on $BASE"
$NICE "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
	curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
	kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server exited:" >&2; tail -n 20 "$WORK/server.log" >&2; exit 1; }
	sleep 0.5
done
curl -fsS "$BASE/readyz" >/dev/null

# Credentials: an enrolment token for the desk used throughout and a tracing credential (more
# enrolment tokens are made for each run, below).
desk_token=$("$BIN" admin enrol-token --district gulou --note fuzz-api | tail -n 1)
PLACECODE_FUZZ_TRACER_TOKEN=$("$BIN" admin tracer-token --name fuzz-api | tail -n 1)
export PLACECODE_FUZZ_TRACER_TOKEN

# The desk enrols through the API with the fuzz seeds' code key (fuzz/src/lib.rs), so the
# seed batch's signed code verifies, and pushes that batch (its times moved to now): pull and
# the tracing queries then have venues, visits, incidents and trips to return.
desk_id=$("$PY" -c 'import uuid; print(uuid.uuid4())')
"$PY" - "$desk_token" "$desk_id" >"$WORK/enrol.json" <<'PY'
import json, sys
print(json.dumps({"token": sys.argv[1], "desk_id": sys.argv[2], "desk_name": "fuzz desk",
                  "code_key": {"id": 0x0A0B0C0D, "secret_hex": "07" * 32}, "app_version": "fuzz-api"}))
PY
curl -fsS -H 'Content-Type: application/json' --data-binary @"$WORK/enrol.json" "$BASE/api/v1/enrol" >"$WORK/enrolled.json"
PLACECODE_FUZZ_DESK_TOKEN=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["credential"])' "$WORK/enrolled.json")
export PLACECODE_FUZZ_DESK_TOKEN
"$PY" - fuzz/seeds/sync_push/batch >"$WORK/batch.json" <<'PY'
import datetime, json, re, sys
batch = json.load(open(sys.argv[1], encoding="utf-8"))
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
def shift(v):
    if isinstance(v, dict):
        return {k: shift(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shift(x) for x in v]
    if isinstance(v, str) and re.fullmatch(r"2026-11-29T00:10:00Z", v):
        return (now - datetime.timedelta(minutes=20)).isoformat().replace("+00:00", "Z")
    if isinstance(v, str) and re.fullmatch(r"2026-12-13T00:10:00Z", v):
        return (now + datetime.timedelta(days=13, hours=23)).isoformat().replace("+00:00", "Z")
    return v
print(json.dumps(shift(batch), ensure_ascii=False))
PY
curl -fsS -H 'Content-Type: application/json' -H "Authorization: Bearer $PLACECODE_FUZZ_DESK_TOKEN" \
	--data-binary @"$WORK/batch.json" "$BASE/api/v1/push" >"$OUT/seed-push.json"
"$PY" -c 'import json,sys,collections; r=json.load(open(sys.argv[1]))["results"]; print("seed push:", dict(collections.Counter(x["status"] for x in r)))' "$OUT/seed-push.json"

run() {
	local name=$1 gzip=$2
	echo "== schemathesis ($name): at most $EXAMPLES cases per operation and phase, $BUDGET s"
	# One-time enrolment tokens for this run's enrol cases (fuzz/api/hooks.py hands them out).
	: >"$WORK/enrol-tokens-$name"
	for _ in $(seq 1 15); do
		"$BIN" admin enrol-token --district gulou --note "fuzz-api $name" | tail -n 1 >>"$WORK/enrol-tokens-$name"
	done
	local cmd=("$VENV/bin/schemathesis" --config-file fuzz/api/schemathesis.toml run "$BASE/api/v1/openapi.json"
		--url "$BASE" --checks all --phases examples,coverage,fuzzing,stateful
		--max-examples "$EXAMPLES" --max-time "$BUDGET" --seed "$SEED" --workers 1
		--request-timeout 20 --generation-database none --no-color --continue-on-failure
		--report junit,json,har --report-dir "$OUT/$name")
	echo "PYTHONPATH=fuzz/api SCHEMATHESIS_HOOKS=hooks PLACECODE_FUZZ_GZIP=$gzip ${cmd[*]}" >"$OUT/$name.command"
	set +e
	env PYTHONPATH="$ROOT/fuzz/api" SCHEMATHESIS_HOOKS=hooks PLACECODE_FUZZ_GZIP="$gzip" \
		PLACECODE_FUZZ_ENROL_TOKENS="$WORK/enrol-tokens-$name" \
		$NICE timeout --signal=INT $((BUDGET + 120)) "${cmd[@]}" >"$OUT/$name.log" 2>&1
	local rc=$?
	set -e
	tail -n 40 "$OUT/$name.log"
	return $rc
}

failed=0
run plain 0 || failed=1
run gzip 1 || failed=1
# 5xx the server logged (its own view, beside schemathesis's).
grep -c '"level":"ERROR"' "$WORK/server.log" | xargs echo "server log errors:" || true
echo "Reports and logs: $OUT/"
exit $failed
