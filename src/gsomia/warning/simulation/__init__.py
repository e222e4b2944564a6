"""The simulated world: a launch's truth, its picture times, and what the sensors report."""
