"""The directory's SQL: partners and tokens, teams, users and sessions."""
