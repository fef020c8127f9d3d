"""The partner network from the database: SQL counts the facts, `graphs` analyses them."""
