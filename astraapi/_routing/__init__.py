"""The parts of `astraapi.routing`, by concern (that module re-exports their public names)."""
