#!/bin/sh
# bench/linkage.sh — repeatable accuracy and speed runs of `paradero link`.
#
# Usage: bench/linkage.sh [--large] [--synth]
#
# Builds paradero (or uses $PARADERO), links each public benchmark in
# shared/benchmarks/linkage with its settings file, scores the clusters with
# that directory's score.py, and prints one line per run: pairwise
# precision, recall, F1, B-cubed F1, candidate pairs, wall time and peak
# memory. Then it links a synthetic world of invented people with the
# default person settings (bench/linkagegen), and runs the Go benchmark of
# pair scoring.
#
#   --large  also a ~1,000,000-record world (needs ~2 GB of RAM, ~1 minute)
#   --synth  also `paradero synth` worlds, if that command exists: the
#            default world (3,000 persons) with seeds 1-3 and a
#            50,000-person one (~45,000 records); with --large also a
#            1,100,000-person one (~960,000 records)
#
# Outputs go to bench/out/linkage/. SHARED overrides where shared/ is
# (default: ../shared beside the repository).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHARED=${SHARED:-$ROOT/../shared}
B=$SHARED/benchmarks/linkage
OUT=$ROOT/bench/out/linkage
mkdir -p "$OUT"
LARGE=0
SYNTH=0
for a in "$@"; do
	case $a in
	--large) LARGE=1 ;;
	--synth) SYNTH=1 ;;
	*) echo "usage: bench/linkage.sh [--large] [--synth]" >&2; exit 2 ;;
	esac
done
if [ -z "${PARADERO:-}" ]; then
	go build -o "$OUT/paradero" ./cmd/paradero
	PARADERO=$OUT/paradero
fi
TIME=""
if [ -x /usr/bin/time ]; then
	TIME="/usr/bin/time -f %e:%M -o $OUT/time.txt"
fi

# run NAME SCOREFN LINK-ARGS...: SCOREFN gets the clusters file.
run() {
	name=$1 scorer=$2
	shift 2
	if ! $TIME "$PARADERO" link --out "$OUT/$name.clusters.csv" --model "$OUT/$name.model.json" "$@" 2>"$OUT/$name.log"; then
		cat "$OUT/$name.log" >&2
		exit 1
	fi
	score=$($scorer "$OUT/$name.clusters.csv" | tail -1)
	pairs=$(sed -n 's/^linkage: [0-9]* records, \([0-9]*\) candidate pairs from.*/\1/p' "$OUT/$name.log")
	t="?" mem="?"
	if [ -n "$TIME" ]; then
		t=$(cut -d: -f1 "$OUT/time.txt")s
		mem=$(($(cut -d: -f2 "$OUT/time.txt") / 1024))MiB
	fi
	printf '%-8s %s candidate_pairs=%s time=%s peak_rss=%s\n' "$name" "$score" "$pairs" "$t" "$mem"
}

score_febrl3() { python3 "$B/score.py" "$1" febrl; }
score_febrl4() { python3 "$B/score.py" "$1" febrl --cross; }
score_hist() { python3 "$B/score.py" "$1" "$B/hist50k_truth.csv"; }
score_world() { python3 "$ROOT/bench/linkage_score.py" "$1" "$WORLD/truth.csv"; }

run febrl3 score_febrl3 --settings "$B/febrl3.json" "$B/febrl_dataset3.csv"
run febrl4 score_febrl4 --settings "$B/febrl4.json" "$B/febrl_dataset4a.csv" "$B/febrl_dataset4b.csv"
run hist50k score_hist --settings "$B/hist50k.json" "$B/hist50k.csv"

# world NAME PERSONS: a world of invented people, default settings.
world() {
	WORLD=$OUT/$1
	go run ./bench/linkagegen -persons "$2" -seed 1 -out "$WORLD" >/dev/null
	run "$1" score_world "$WORLD/roster.csv" "$WORLD/court_filing.csv" "$WORLD/family_reports.csv" "$WORLD/locator.csv" "$WORLD/manifest.csv"
}
world fake20k 20000
if [ "$LARGE" = 1 ]; then
	world fake1m 467000
fi
if [ "$SYNTH" = 1 ]; then
	if "$PARADERO" synth -h >/dev/null 2>&1; then
		# The issue's target: the default world (3000 persons), seeds 1-3.
		for seed in 1 2 3; do
			WORLD=$OUT/synth-default-$seed
			rm -rf "$WORLD"
			"$PARADERO" synth --seed $seed --out "$WORLD" >/dev/null
			run synth-default-$seed score_world "$WORLD"/sources/*.csv
		done
		WORLD=$OUT/synth
		rm -rf "$WORLD"
		"$PARADERO" synth --persons 50000 --seed 1 --out "$WORLD" >/dev/null
		run synth score_world "$WORLD"/sources/*.csv
		if [ "$LARGE" = 1 ]; then
			WORLD=$OUT/synth1m
			rm -rf "$WORLD"
			"$PARADERO" synth --persons 1100000 --seed 3 --out "$WORLD" >/dev/null
			run synth1m score_world "$WORLD"/sources/*.csv
		fi
	else
		echo "synth: paradero has no synth command yet" >&2
	fi
fi

go test -run '^$' -bench ComparePairs -benchtime 2000000x ./linkage | grep -E '^Benchmark'
