"""Views for appointments."""
