"""``manage.py audit_verify``: check the whole audit chain; name every edited or deleted row.

The result is also stored as a verification (shown on the audit page, "by manage.py audit_verify").
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from archives_site.audit import audit_verification_scheduled


class Command(BaseCommand):
    help = "Verify the hash-chained audit log and report any edited or deleted row."

    def handle(self, *args: Any, **options: Any) -> None:
        verification = audit_verification_scheduled(trigger="command")
        problems = verification.problems if verification is not None else []
        if problems:
            for problem in problems:
                self.stderr.write(f"TAMPERED: {problem['message']}")
            raise CommandError(f"audit chain broken: {len(problems)} problem(s) found")
        rows = verification.rows_checked if verification is not None else 0
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {rows} rows verified"))
