"""``manage.py load_workday_calendar``: load the official holidays and make-up working days."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from archives_site.models import CALENDAR_YEAR_MAX, CALENDAR_YEAR_MIN
from archives_site.scoping import SYSTEM
from archives_site.workdays import calendar_load_package


def year_range(text: str) -> list[int]:
    """``2020-2026``, ``2025`` or ``2020,2022-2023`` → the years, each 1900..2100."""
    years: set[int] = set()
    for part in text.split(","):
        low, _dash, high = part.strip().partition("-")
        if not (low.isascii() and low.isdigit() and (not high or (high.isascii() and high.isdigit()))):
            raise CommandError(f"--years: {part.strip()!r} is not a year or a range like 2020-2026")
        first, last = int(low), int(high or low)
        if not CALENDAR_YEAR_MIN <= first <= last <= CALENDAR_YEAR_MAX:
            raise CommandError(f"--years: give years from {CALENDAR_YEAR_MIN} to {CALENDAR_YEAR_MAX}, first to last")
        years.update(range(first, last + 1))
    return sorted(years)


class Command(BaseCommand):
    help = (
        "Load the official working-day calendar (public holidays and make-up working days) of every year the "
        "chinesecalendar package knows, or of --years. Safe to run repeatedly; days the bureau entered are never "
        "overwritten."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--years", type=year_range, help="e.g. 2020-2026 (default: every year the package knows)")
        parser.add_argument(
            "--refresh",
            action="store_true",
            help="bring years already loaded up to date with the package too (restores official days removed by hand)",
        )

    def handle(self, *args: Any, years: list[int] | None = None, refresh: bool = False, **options: Any) -> None:
        result = calendar_load_package(actor=SYSTEM, years=years, refresh=refresh)
        loaded = ", ".join(map(str, result.loaded_years)) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"Working-day calendar: years loaded {loaded}; days added {result.added}, changed {result.changed}, "
                f"removed {result.removed}, unchanged {result.unchanged}, kept as the bureau entered them "
                f"{result.bureau_kept}."
            )
        )
        if result.skipped_years:
            self.stdout.write(
                f"Already loaded, left as they are (use --refresh to update): "
                f"{', '.join(map(str, result.skipped_years))}."
            )
        if result.unknown_years:
            self.stdout.write(
                self.style.WARNING(
                    f"Not known to the installed chinesecalendar: {', '.join(map(str, result.unknown_years))}. "
                    "Upgrade the package or enter those years on the calendar page (/calendar/)."
                )
            )
