//go:build race

package ingest_test

// raceEnabled shrinks the streaming test under the race detector, which
// slows parsing tenfold.
const raceEnabled = true
