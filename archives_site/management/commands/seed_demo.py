"""``manage.py seed_demo``: load the demo county (idempotent) and print the demo logins."""

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from holdings import demo as holdings_demo
from inspections import demo as room_demo
from villages import demo as village_demo


class Command(BaseCommand):
    help = "Load the demo county (units, users for every role, holdings). Safe to run repeatedly."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off (demo passwords are public!)")
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the demo logins")

    def handle(self, *args: Any, force: bool = False, quiet_logins: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates users with public demo passwords; use --force outside DEBUG.")
        counts = village_demo.seed_network()
        self.stdout.write(self.style.SUCCESS(f"Demo county ready: {counts['units']} units, {counts['users']} users."))
        catalogued = village_demo.seed_catalogues()
        self.stdout.write(
            self.style.SUCCESS(f"Filing catalogues ready: {catalogued['catalogues']} villages and communities.")
        )
        held = holdings_demo.seed_holdings()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo holdings ready: {held['fonds']} fonds, {held['volumes']} volumes, {held['items']} items."
            )
        )
        filing = holdings_demo.seed_filing()
        self.stdout.write(self.style.SUCCESS(f"Filed under the village catalogues: {filing['filed']} items."))
        pushed = holdings_demo.seed_pushes()
        rooms = room_demo.seed_rooms()
        call_command("load_workday_calendar", stdout=self.stdout)  # the official holidays, for deadlines
        self.stdout.write(
            self.style.SUCCESS(
                f"Archive rooms ready: {rooms['rooms']}; records pushed to villages: {pushed['pushes']}."
            )
        )
        if quiet_logins:
            return
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {village_demo.DEMO_PASSWORD})")
        for login in village_demo.DEMO_LOGINS:
            self.stdout.write(f"  {login.username:<10} {login.role.label}（{login.full_name}）")
        self.stdout.write("")
