"""Intake: every way a signal comes in (API with group commit, web form, FHIR, CSV batches and
drop folders) and reading signals back, all through one service."""
