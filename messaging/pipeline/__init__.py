"""The message pipeline every channel runs through (docs/architecture.md)."""
