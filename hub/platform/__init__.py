"""What every domain shares: settings, errors, the clock, the database and its migrations,
advisory locks, scheduled jobs, the outbox, mail, logs, metrics and rate limits.

Nothing here imports a domain (`hub.intake`, `hub.cases`, ...): the domains build on it.
"""
