"""System check: the report table declarations are complete (`manage.py check`, and so
`runserver` and the test run, name what a declaration lacks)."""

from __future__ import annotations

from django.core import checks

from . import metrics


@checks.register()
def report_declarations(app_configs, **kwargs) -> list[checks.CheckMessage]:
    return [
        checks.Error(problem, hint="See reports/metrics.py, TABLES.", obj="reports.metrics", id="reports.E001")
        for problem in metrics.declaration_problems()
    ]
