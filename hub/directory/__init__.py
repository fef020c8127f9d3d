"""Who is who: partners and their API tokens, district teams, people with their roles and
sessions, and single sign-on through the municipality's identity provider."""
