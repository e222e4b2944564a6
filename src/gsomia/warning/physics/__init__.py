"""Physics of flight: forces, the powered and ballistic flight, and the missile classes flown."""
