"""Which district team serves an address: the routing table, and the pure rule that reads it."""
