"""Intake's SQL: signals and households, CSV batches, and FHIR's code map and Task facts."""
