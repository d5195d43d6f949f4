"""Helpers shared by the tests: ports, processes, the simulated bank."""
