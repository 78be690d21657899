from django.core import checks

from . import kinds


@checks.register()
def every_kind_has_its_spec(app_configs, **kwargs) -> list[checks.Error]:
    """`manage.py check` (and so every deploy) refuses an email kind left half-declared."""
    return [
        checks.Error(problem, hint="See README, 'Adding an email kind'.", id="outbox.E001")
        for problem in kinds.problems()
    ]
