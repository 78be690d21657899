"""Owner views for the reflex-zone catalogue."""
