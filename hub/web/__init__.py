"""HTTP: API handlers, problem+json errors, OpenAPI, health, and the pages people see."""
