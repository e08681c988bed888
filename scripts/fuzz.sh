#!/usr/bin/env bash
# Fuzzes the core's parsers (fuzz/, docs/ROBUSTNESS.md): each cargo-fuzz target runs for a
# bounded time from its committed seeds (fuzz/seeds/<target>) plus the corpus earlier runs grew
# (fuzz/corpus/<target>, not committed). Crashes land in fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh                 every target, FUZZ_SECONDS (default 60) each
#   scripts/fuzz.sh identity csv_risk
#   FUZZ_SECONDS=600 scripts/fuzz.sh sync_push
#
# Environment: FUZZ_SECONDS (per target), FUZZ_SANITIZER (address, the default, or none: about
# twice the executions a second, memory errors in unsafe code no longer caught), FUZZ_NICE
# (default 10: the machine is shared), FUZZ_RSS_MB (default 4096), FUZZ_TIMEOUT (seconds one
# input may take before it counts as a hang, default 10), FUZZ_KEEP_GOING=1 (libFuzzer's fork
# mode: a crash, hang or OOM is saved and fuzzing goes on, so one known crash does not hide
# others; the run then fails when any was found).
# Needs the nightly toolchain (rustup); installs cargo-fuzz from crates.io when it is missing.
# Exits non-zero when any target found a crash (every target still runs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

SECONDS_EACH=${FUZZ_SECONDS:-60}
SANITIZER=${FUZZ_SANITIZER:-address}
NICE="nice -n ${FUZZ_NICE:-10}"
RSS_MB=${FUZZ_RSS_MB:-4096}
TIMEOUT=${FUZZ_TIMEOUT:-10}
KEEP_GOING=()
[ "${FUZZ_KEEP_GOING:-0}" = 1 ] && KEEP_GOING=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
CARGO_FUZZ_VERSION=0.13.2

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
	echo "cargo fuzz needs the nightly toolchain: rustup toolchain install nightly --profile minimal" >&2
	exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
	echo "Installing cargo-fuzz $CARGO_FUZZ_VERSION"
	$NICE cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

mapfile -t ALL < <(cargo fuzz list --fuzz-dir fuzz)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")
for t in "${TARGETS[@]}"; do
	printf '%s\n' "${ALL[@]}" | grep -qx "$t" || { echo "unknown target $t (have: ${ALL[*]})" >&2; exit 2; }
done

echo "Building ${#TARGETS[@]} fuzz targets (nightly, sanitizer $SANITIZER)"
if [ ${#TARGETS[@]} -eq ${#ALL[@]} ]; then
	$NICE cargo +nightly fuzz build --fuzz-dir fuzz --sanitizer "$SANITIZER"
else
	for t in "${TARGETS[@]}"; do $NICE cargo +nightly fuzz build --fuzz-dir fuzz --sanitizer "$SANITIZER" "$t"; done
fi

LOGS=target/fuzz-logs
mkdir -p "$LOGS"
# The venue import target keeps a scratch store here; removed at the end.
PLACECODE_FUZZ_TMP=$(mktemp -d /tmp/placecode-fuzz.XXXXXX)
export PLACECODE_FUZZ_TMP
trap 'rm -rf "$PLACECODE_FUZZ_TMP"' EXIT

SUMMARY="$LOGS/summary.md"
{
	echo "| target | wall s | executions | exec/s | corpus | coverage | peak RSS MB | result |"
	echo "|---|---|---|---|---|---|---|---|"
} >"$SUMMARY"
failed=()
for t in "${TARGETS[@]}"; do
	mkdir -p "fuzz/corpus/$t" "fuzz/seeds/$t"
	log="$LOGS/$t.log"
	echo "== $t: $SECONDS_EACH s"
	start=$(date +%s)
	set +e
	$NICE cargo +nightly fuzz run --fuzz-dir fuzz --sanitizer "$SANITIZER" "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
		-max_total_time="$SECONDS_EACH" -rss_limit_mb="$RSS_MB" -timeout="$TIMEOUT" \
		-print_final_stats=1 "${KEEP_GOING[@]}" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	why=""
	stat() { grep -o "stat::$1: *[0-9]*" "$log" | tail -n 1 | grep -o '[0-9]*$' || echo "?"; }
	execs=$(stat number_of_executed_units)
	rate=$(stat average_exec_per_sec)
	rss=$(stat peak_rss_mb)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || echo "?")
	corp=$(echo "$last" | grep -o 'corp: [0-9]*' | grep -o '[0-9]*' || echo "?")
	# Fork mode prints no final stats: its last status line has the executions and the
	# crashes it saved and went on from.
	[ "$execs" = "?" ] && execs=$(echo "$last" | grep -o '^#[0-9]*' | tr -d '#')
	saved=$(echo "$last" | grep -o 'oom/timeout/crash: [0-9/]*' | grep -o '[0-9/]*$' || true)
	if [ -n "$saved" ] && [ "$saved" != "0/0/0" ]; then
		rc=1
		why="fork mode saved oom/timeout/crash $saved (see fuzz/artifacts/$t/)"
	fi
	if [ $rc -eq 0 ]; then
		result="no crash"
	else
		artifact=$(grep -o 'fuzz/artifacts/[^ ]*' "$log" | tail -n 1 || true)
		why=${why:-$(grep -m1 -E "panicked at|ERROR: (libFuzzer|AddressSanitizer)" "$log" | cut -c1-160 || true)}
		result="CRASH (exit $rc) ${artifact:-see $log}: ${why}"
		failed+=("$t")
	fi
	set -e
	echo "| $t | $took | $execs | $rate | $corp | $cov | $rss | $result |" >>"$SUMMARY"
	echo "   $execs executions, $rate/s, coverage $cov: $result"
done

echo
cat "$SUMMARY"
echo "Logs: $LOGS/"
if [ ${#failed[@]} -gt 0 ]; then
	echo "Crashes in: ${failed[*]} (reproduce: cargo +nightly fuzz run --fuzz-dir fuzz TARGET fuzz/artifacts/TARGET/FILE)" >&2
	exit 1
fi
