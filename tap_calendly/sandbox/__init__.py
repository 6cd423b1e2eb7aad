"""A local stand-in for the Calendly API v2: synthetic org, simulated clock, faults."""
