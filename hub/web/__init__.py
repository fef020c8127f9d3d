"""The hub's edge on the web: the API (`hub.web.api`), the Dutch pages (`hub.web.pages`), the
access matrix and the middlewares every request passes. Handlers parse, call a service, and
render; they hold no SQL and never touch a store."""
