"""Partner formats <-> schemas: pure translations, no I/O."""
