"""Lambda event source mappings: one folder per kind of source, and the mechanics they share."""
