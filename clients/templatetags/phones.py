"""{{ client.phone|phone_for:clinic }}: a stored E.164 number as the clinic's people read it."""

from django import template

from clients.phones import phone_for_people, region_for_timezone

register = template.Library()


@register.filter
def phone_for(stored: str, clinic) -> str:
    return phone_for_people(stored or "", region_for_timezone(clinic.timezone) if clinic else None)
