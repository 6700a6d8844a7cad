"""The events' JSON Schemas, exported to events/schemas/ and checked for compatibility."""
