"""Privacy by design: personal data sealed at rest with keys kept outside the database, key
rotation, retention (pseudonymising what is past its period), and the access log (NEN 7513)."""
