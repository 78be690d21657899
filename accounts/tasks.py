import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task
def heartbeat() -> str:
    """Proves beat and the worker are alive: each tick shows in the worker log."""
    now = timezone.now().isoformat()
    logger.info("heartbeat %s", now)
    return now


@shared_task
def password_reset_task(email: str) -> int:
    """The look-up behind "Forgot your password?", off the request (accounts.forms)."""
    from .services import password_reset_emails_create

    return password_reset_emails_create(email=email)
