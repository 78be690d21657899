"""One dispatch pass, for those who run cron instead of Celery beat.

By default the due emails are sent right here, so cron alone is enough; with
--queue they are handed to the Celery workers instead.
"""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand

from outbox.dispatch import dispatch_pass
from outbox.mailer import send_deliveries
from outbox.models import Delivery


class Command(BaseCommand):
    help = "Create today's due routine emails and appointment reminders, then send them (or queue them with --queue)."

    def add_arguments(self, parser):
        how = parser.add_mutually_exclusive_group()
        how.add_argument("--send", action="store_true", help="Send the due emails in this process (the default).")
        how.add_argument("--queue", action="store_true", help="Queue the due emails for the Celery workers.")

    def handle(self, *args, send: bool, queue: bool, **options):
        result = dispatch_pass(queue=queue)
        self.stdout.write(
            f"Created {result.created[Delivery.Kind.ROUTINE]} routine email(s) and "
            f"{result.created[Delivery.Kind.REMINDER]} reminder(s); "
            f"{result.expired} past-day email(s) marked not sent; {result.swept} stuck email(s) pending again."
        )
        if queue:
            self.stdout.write(f"Queued {len(result.due_ids)} email(s) for the workers.")
            return
        counts: Counter[str] = Counter()
        size = settings.DELIVERY_BATCH_SIZE
        for start in range(0, len(result.due_ids), size):
            counts.update(send_deliveries(result.due_ids[start : start + size]))
        self.stdout.write(
            f"Sent {counts['sent']}, to retry later {counts['retry']}, failed {counts['failed']}, "
            f"not sent {counts['skipped']}, already handled {counts['not_claimed']}."
        )
