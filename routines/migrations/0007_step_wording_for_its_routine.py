"""The library's feel-good and ear steps no longer say where they stand in a routine ("a good
way to end the routine", "an alternative when hands or feet are not convenient"): the email
says it where it is true (routines/wording.py). Steps still in the standard words, in the
library and in routines, get the new words; a step someone reworded is left as it is."""

from django.db import migrations

OLD_TO_NEW = {
    (
        "Press the pad of each fingertip and thumb tip in turn, holding each for a slow breath. Many people "
        "find this pleasant and relaxing: a good way to end the routine."
    ): (
        "Press the pad of each fingertip and thumb tip in turn, holding each for a slow breath. Many people "
        "find this pleasant and relaxing."
    ),
    (
        "Press the pad of each toe in turn, starting with the big toe, holding each for a slow breath. Many "
        "people find this pleasant and relaxing: a good way to end the routine."
    ): (
        "Press the pad of each toe in turn, starting with the big toe, holding each for a slow breath. Many "
        "people find this pleasant and relaxing."
    ),
    (
        "An alternative when hands or feet are not convenient. With your index finger and thumb, gently "
        "press along the curved inner ridge of the ear, from just above the earlobe up to where the ridge "
        "forks. Work one ear, then the other."
    ): (
        "With your index finger and thumb, gently press along the curved inner ridge of the ear, from just "
        "above the earlobe up to where the ridge forks. Work one ear, then the other."
    ),
}


def reword(apps, schema_editor):
    for model in ("LibraryStep", "RoutineStep"):
        steps = apps.get_model("routines", model).objects
        for old, new in OLD_TO_NEW.items():
            steps.filter(instruction=old).update(instruction=new)


def unreword(apps, schema_editor):
    for model in ("LibraryStep", "RoutineStep"):
        steps = apps.get_model("routines", model).objects
        for old, new in OLD_TO_NEW.items():
            steps.filter(instruction=new).update(instruction=old)


class Migration(migrations.Migration):
    dependencies = [("routines", "0006_pain_answer_corrected_same_day")]

    operations = [migrations.RunPython(reword, unreword)]
