"""``manage.py audit_verify``: check the whole audit chain; name every edited or deleted row."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from archives_site.audit import audit_verify
from archives_site.models import AuditChainHead


class Command(BaseCommand):
    help = "Verify the hash-chained audit log and report any edited or deleted row."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = audit_verify()
        head = AuditChainHead.objects.filter(pk=1).first()
        if problems:
            for problem in problems:
                self.stderr.write(f"TAMPERED: {problem.message}")
            raise CommandError(f"audit chain broken: {len(problems)} problem(s) found")
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {head.seq if head else 0} rows verified"))
