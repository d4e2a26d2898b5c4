#!/usr/bin/env bash
# Measures the evidence store end to end through the CLI: importing a
# generated CSV of N rows (default 1 000 000) into a fresh embedded store,
# ledger included, then verifying the whole ledger. Prints wall time,
# records/s and peak memory. Usage: bench/store.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/paradero" ./cmd/paradero
# A roster-shaped CSV: Spanish headers, day-first dates, A-numbers.
awk -v n="$rows" 'BEGIN {
	print "nombres,apellidos,fecha de nacimiento,nacionalidad,número A,centro de detención,fecha,vuelo"
	split("José Luis,María José,Yorman,Ana,Kelvin,Wilmer,Yusmary,Carlos Alberto,Luis,Daniela", g, ",")
	split("Pérez,Gómez,Rodríguez,Quintero,Hernández,Núñez,Salas,Díaz,Rivas,Mendoza", s, ",")
	for (i = 0; i < n; i++)
		printf "%s,%s %s,%02d/%02d/%d,venezolana,A%09d,CECOT,16/03/2025,GXT-%d\n",
			g[i%10+1], s[int(i/10)%10+1], s[int(i/100)%10+1], i%28+1, i%12+1, 1960+i%45, 200000000+i, i%3+1
}' > "$work/roster.csv"
echo "file: $rows rows, $(du -h "$work/roster.csv" | cut -f1)"

measure() { # label, command…
	local label=$1; shift
	/usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null
	read -r secs kib < "$work/time"
	printf '%-8s %7.2f s  %8.0f records/s  peak %5d MiB\n' "$label" "$secs" "$(echo "$rows / $secs" | bc -l)" $((kib / 1024))
}
measure import "$work/paradero" --data "$work/data" import --kind roster "$work/roster.csv"
measure verify "$work/paradero" --data "$work/data" verify
