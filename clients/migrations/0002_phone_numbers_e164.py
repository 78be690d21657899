"""Client phone numbers in E.164 (clients/phones.py), read in each clinic's region; text that
is not a phone number stays as it was typed. Not reversible to the typed spacing, which is
not kept; reversing leaves the numbers in E.164."""

from django.db import migrations

from clients.phones import region_for_timezone, stored_phone


def to_e164(apps, schema_editor):
    Client = apps.get_model("clients", "Client")
    rows = Client.objects.exclude(phone="").select_related("clinic").only("phone", "clinic__timezone")
    changed = []
    for client in rows.iterator(chunk_size=2000):
        number = stored_phone(client.phone, region_for_timezone(client.clinic.timezone))
        if number != client.phone:
            client.phone = number
            changed.append(client)
    Client.objects.bulk_update(changed, ["phone"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]

    operations = [migrations.RunPython(to_e164, migrations.RunPython.noop)]
