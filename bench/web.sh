#!/usr/bin/env bash
# Measures the web application under load from a second process (issue 5):
# builds a synthetic world of PERSONS people (default 1 150 000, about
# 1 000 000 records) into a fresh embedded store through `paradero demo
# --serve=false` (import, linkage, verification), creates CLIENTS documenter
# accounts, serves the store, and runs bench/webload against it: CLIENTS
# signed-in clients (default 50) requesting person pages, searches and the
# dashboard for DURATION (default 60s). Prints request counts and latency
# percentiles per kind, and how long the build of the store took.
#
# Usage: bench/web.sh [PERSONS] [CLIENTS] [DURATION]
# KEEP=DIR keeps (and reuses, if it holds a store) the data directory.
set -euo pipefail
cd "$(dirname "$0")/.."
persons=${1:-1150000}
clients=${2:-50}
duration=${3:-60s}
work=$(mktemp -d)
data=${KEEP:-$work/data}
addr=127.0.0.1:$((20000 + RANDOM % 20000))
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/paradero" ./cmd/paradero
go build -o "$work/webload" ./bench/webload
p() { "$work/paradero" --data "$data" "$@"; }

if [ ! -e "$data/paradero.db" ]; then
	echo "building a store of $persons people (synthesis, import, linkage, verification)…"
	/usr/bin/time -f "store built in %e s, peak %M KiB" \
		"$work/paradero" demo --data "$data" --persons "$persons" --serve=false > "$work/demo.log"
	tail -n 20 "$work/demo.log"
fi
p status

# Names to search for: the same world's people, as the demo made them
# (same persons and seed give the same world).
"$work/paradero" synth --persons "$persons" --seed 2025 --out "$work/world" > /dev/null
awk -F, 'NR > 1 { print $6 }' "$work/world/persons.csv" | shuf -n 5000 --random-source=<(yes) > "$work/names.txt"
npersons=$(p status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["persons"])')

: > "$work/users.txt"
for i in $(seq 1 "$clients"); do
	email="load$i@example.org"
	pw="load-password-$i-$RANDOM$RANDOM"
	if printf '%s\n' "$pw" | p user add --email "$email" --name "Load $i" --role documenter --password-file - > /dev/null 2>&1 ||
		printf '%s\n' "$pw" | p user passwd --password-file - "$email" > /dev/null; then
		echo "$email $pw" >> "$work/users.txt"
	fi
done

serve_flags=(--listen "$addr")
if p serve --help 2>&1 | grep -q -- '-require-2fa'; then
	serve_flags+=(--require-2fa=false)
fi
p --log-level info serve "${serve_flags[@]}" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
	curl -fsS "http://$addr/healthz" > /dev/null 2>&1 && break
	sleep 0.2
done
# The search index catches up in the background after a command-line
# import; measure once it has (its time is printed).
start=$SECONDS
until grep -q "search index current" "$work/serve.log"; do
	kill -0 "$server" || { cat "$work/serve.log"; exit 1; }
	sleep 1
done
echo "search index caught up in $((SECONDS - start)) s: $(grep -o 'records_added=[0-9]*' "$work/serve.log")"

"$work/webload" -base "http://$addr" -users "$work/users.txt" -names "$work/names.txt" \
	-persons "$npersons" -clients "$clients" -duration "$duration"
