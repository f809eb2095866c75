"""A day's appointment list: reading and checking it, and the print run's workers."""
