package sqlite

// HoldIndexing takes the search index's catch-up lock, as a long catch-up
// in another goroutine would, and returns its release.
func (s *DB) HoldIndexing() func() {
	s.indexing.Lock()
	return s.indexing.Unlock
}
