//go:build !linux

package sqlite

// groupSync reports whether syncFS can make a batch of new files durable
// with one call: not on this system, where each file is synced itself.
func groupSync() bool { return false }

func syncFS(dir string) error { panic("sqlite: syncFS without groupSync") }
