"""The email backend of a machine with no mail server: one .eml file per email.

Django's file backend appends every email of a connection to one .log file, so a batch of
routine emails becomes one long file. Here each email is its own `<time>-<id>.eml` in
EMAIL_FILE_PATH (var/mail/): a mail program opens it as the client would see it, pictures
included, and a text editor shows the source. A file appears whole or not at all (written
under a temporary name, then renamed), so nobody opens half an email.
"""

from __future__ import annotations

import os
import secrets

from django.core.mail.backends.filebased import EmailBackend
from django.utils import timezone


class EmlFileBackend(EmailBackend):
    # No stream to open or close: each message has its own file.
    def open(self) -> bool:
        return False

    def close(self) -> None:
        return None

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages or ():
            if not message.recipients():
                continue
            name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{secrets.token_hex(2)}.eml"
            path = os.path.join(self.file_path, name)
            with open(path + ".part", "wb") as out:
                out.write(message.message().as_bytes(linesep="\r\n"))
            os.replace(path + ".part", path)
            sent += 1
        return sent
