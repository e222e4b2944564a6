"""The simulated truth: every object of every launch, flown from its plan."""
