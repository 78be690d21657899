"""Delivery and DeliveryAttempt move from routines to the outbox, in the state only.

The tables stay where they are (routines_delivery, routines_deliveryattempt, with their
rows, indexes, constraints and CheckIn's foreign key): this migration tells Django the
models now belong to the outbox, and routines 0005 tells it routines no longer has them.
Nothing is copied or renamed, so it runs the same on a database with data and on an
empty one.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("appointments", "0002_no_overlap_constraint"),
        ("clients", "0001_initial"),
        ("routines", "0004_report_covering_indexes"),
    ]

    state_operations = [
        migrations.CreateModel(
            name="Delivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("routine", "Home routine"),
                            ("confirmation", "Appointment confirmation"),
                            ("reminder", "Appointment reminder"),
                        ],
                        max_length=20,
                    ),
                ),
                ("local_date", models.DateField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting to send"),
                            ("sending", "Sending"),
                            ("sent", "Sent"),
                            ("failed", "Failed"),
                            ("skipped", "Not sent"),
                        ],
                        default="pending",
                        max_length=20,
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                ("claimed_at", models.DateTimeField(blank=True, null=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "appointment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deliveries",
                        to="appointments.appointment",
                    ),
                ),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="deliveries", to="clients.client"
                    ),
                ),
                (
                    "clinic",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="deliveries", to="accounts.clinic"
                    ),
                ),
                (
                    "routine",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="deliveries",
                        to="routines.routine",
                    ),
                ),
            ],
            options={
                "db_table": "routines_delivery",
                "verbose_name_plural": "deliveries",
                "ordering": ["-local_date", "-id"],
                "indexes": [
                    models.Index(fields=["status", "next_attempt_at"], name="routines_de_status_d4435c_idx"),
                    models.Index(fields=["client", "local_date"], name="routines_de_client__b46e26_idx"),
                    models.Index(
                        fields=["clinic", "kind", "local_date", "status"], name="delivery_report_day_status_idx"
                    ),
                    models.Index(
                        fields=["client", "kind", "status", "local_date"], name="delivery_report_client_idx"
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("kind", "routine")),
                        fields=("routine", "local_date"),
                        name="one_routine_email_per_local_day",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("kind__in", ["confirmation", "reminder"])),
                        fields=("appointment", "kind"),
                        name="one_appointment_email_per_kind",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="DeliveryAttempt",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(auto_now_add=True)),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("sent", "Sent"),
                            ("transient", "Temporary failure, will retry"),
                            ("permanent", "Permanent failure"),
                        ],
                        max_length=20,
                    ),
                ),
                ("smtp_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("error", models.TextField(blank=True)),
                (
                    "delivery",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="attempt_log", to="outbox.delivery"
                    ),
                ),
            ],
            options={"db_table": "routines_deliveryattempt", "ordering": ["at", "id"]},
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
