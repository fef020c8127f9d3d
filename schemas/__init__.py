"""The contract of the signal hub: pydantic models and value types, no I/O."""
