"""`manage.py createowner`: a new clinic and its first owner, for a fresh installation.

With DEBUG off the demo logins are refused, so this is how a self-hoster (or the
production smoke test) gets in: the owner then adds staff from the Staff page.

    manage.py createowner --clinic "Calm Feet Reflexology" --username helen \\
        --email helen@example.org --first-name Helen --last-name Ashworth

The password is read from OWNER_PASSWORD when set (scripts, containers), else asked
for twice in the terminal; it must pass the password validators either way.
"""

from __future__ import annotations

import getpass
import os
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from accounts.models import TIMEZONE_CHOICES, Clinic, User
from accounts.services import clinic_create_with_owner


class Command(BaseCommand):
    help = "Create a clinic and its first owner (password from OWNER_PASSWORD or asked for)."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", required=True, help="the clinic's name")
        parser.add_argument("--slug", help="the clinic's short name in the database (default: from its name)")
        parser.add_argument("--timezone", default="Europe/London", help="the clinic's time zone (default: %(default)s)")
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args, **options):
        slug = options["slug"] or slugify(options["clinic"])
        if not slug:
            raise CommandError("Give the clinic a name with letters or digits, or a --slug.")
        if Clinic.objects.filter(slug=slug).exists():
            raise CommandError(
                f"A clinic with the slug {slug!r} exists already; its owners add staff from the Staff page."
            )
        if options["timezone"] not in dict(TIMEZONE_CHOICES):
            raise CommandError(f"Unknown time zone {options['timezone']!r}: use a name such as Europe/London.")
        if User.objects.filter(username__iexact=options["username"]).exists():
            raise CommandError(f"The username {options['username']!r} is taken.")
        user = User(
            username=options["username"],
            email=options["email"],
            first_name=options["first_name"],
            last_name=options["last_name"],
        )
        try:
            # The username's characters and the email address, as the admin would check them.
            user.full_clean(exclude=["password", "clinic"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        password = self._password(user)
        owner = clinic_create_with_owner(
            name=options["clinic"],
            slug=slug,
            timezone=options["timezone"],
            username=user.username,
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            password=password,
        )
        self.stdout.write(f"Created the clinic {owner.clinic} and its owner {owner.username}.")

    def _password(self, user: User) -> str:
        password = os.environ.get("OWNER_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise CommandError("Set OWNER_PASSWORD, or run this in a terminal to be asked for the password.")
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("The two passwords differ.")
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        return password
