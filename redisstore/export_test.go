package redisstore

// BatchState reports how many batches s has in flight and how many decisions wait for one to
// come back; -1, -1 when s does not batch.
func BatchState(s *LimitStore) (busy, queued int) {
	if s.batch == nil {
		return -1, -1
	}
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	return s.batch.busy, len(s.batch.queue)
}
