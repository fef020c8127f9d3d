"""The signal hub service: storage, routing, intake, web and CLI."""
