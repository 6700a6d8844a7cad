"""Tools for tests of systems run on the local cloud (fault injection)."""
