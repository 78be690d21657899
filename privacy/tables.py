"""Which tables hold a client's, or a clinic's, data: found by walking the models, never listed.

A table belongs to a client when a chain of foreign keys leads from it to Client (a
pressure note: session -> client); to a clinic when one leads to Clinic. The subject
access download, the anonymisation and the clinic export all read `tables_of()`, so a
model another app adds (consent records, an audit trail) is covered the day it lands,
with no list here to forget to update.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Field, Model, QuerySet

from reports.csv import csv_cell as report_csv_cell

# Columns no export carries, whoever asks: password hashes, second-factor secrets and keys,
# recovery codes, tokens. Matched in the column's name, so a new app's secret is left out too.
SECRET_WORDS = ("password", "secret", "token", "key", "recovery")


def project_models() -> list[type[Model]]:
    """The models of this project's own apps (each a folder of BASE_DIR), with the tables
    Django makes for many-to-many fields; Django's and third-party apps' tables are not
    clinic data."""
    base = Path(settings.BASE_DIR).resolve()
    return [
        model
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == base
        for model in config.get_models(include_auto_created=True)
    ]


def is_secret(field: Field) -> bool:
    return any(word in field.name.lower() for word in SECRET_WORDS)


@dataclass(frozen=True)
class DataTable:
    model: type[Model]
    # The lookup from a row of this table to the root object ("session__client"); "" for the root's own table.
    path: str

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def title(self) -> str:
        name = str(self.model._meta.verbose_name_plural)
        return name[:1].upper() + name[1:]

    @property
    def fields(self) -> list[Field]:
        return [f for f in self.model._meta.concrete_fields if not is_secret(f)]

    @property
    def columns(self) -> list[str]:
        return [f.attname for f in self.fields]

    def rows(self, root: Model) -> QuerySet:
        qs = self.model._default_manager.all()
        return (qs.filter(pk=root.pk) if not self.path else qs.filter(**{self.path: root})).order_by("pk")

    def values(self, root: Model):
        """Each row as a dict of column -> stored value (foreign keys as ids), oldest first."""
        return self.rows(root).values(*self.columns).iterator(chunk_size=2000)


@cache
def tables_of(root: type[Model]) -> tuple[DataTable, ...]:
    """The root's own table, then every project table a chain of foreign keys (or one-to-one
    keys) leads from to `root`, nearest first. Each table takes its shortest chain; of equal
    ones, the first key in the model's field order."""
    paths: dict[type[Model], str] = {root: ""}
    frontier = [root]
    while frontier:
        reached = []
        for model in project_models():
            if model in paths:
                continue
            for field in model._meta.concrete_fields:
                if field.is_relation and field.related_model in frontier:
                    rest = paths[field.related_model]
                    paths[model] = f"{field.name}__{rest}" if rest else field.name
                    reached.append(model)
                    break
        frontier = reached
    return tuple(DataTable(model, path) for model, path in paths.items())


def json_text(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def csv_value(value) -> str | int | float:
    """A value as a CSV cell, as the report exports write one (no formula injection), with
    JSON fields as JSON text. The JSON file beside it keeps every value exactly."""
    if isinstance(value, dict | list):
        return json_text(value)
    return report_csv_cell(value)
