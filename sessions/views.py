"""Views for sessions."""
