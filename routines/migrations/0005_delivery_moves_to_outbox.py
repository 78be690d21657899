"""Delivery and DeliveryAttempt now belong to the outbox app (outbox 0001), state only.

CheckIn's foreign key keeps pointing at the same table (routines_delivery), so the
database is not touched: no row, index or constraint changes.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
        ("routines", "0004_report_covering_indexes"),
    ]

    state_operations = [
        migrations.AlterField(
            model_name="checkin",
            name="delivery",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="check_ins", to="outbox.delivery"
            ),
        ),
        migrations.DeleteModel(name="DeliveryAttempt"),
        migrations.DeleteModel(name="Delivery"),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
