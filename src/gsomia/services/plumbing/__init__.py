"""The node's plumbing: its context, its seal on the store, the ledger's audit, delivery,
and the reads and checks that the acts share."""
