"""Views for clients."""
