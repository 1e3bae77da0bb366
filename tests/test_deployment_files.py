"""No Docker engine runs here: check that docker-compose.yml is valid and matches the README."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_describes_web_worker_beat_postgres_and_redis_with_healthchecks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "db", "redis"}
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    for name in ("web", "worker", "db", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert "gunicorn archives_site.wsgi" in services["web"]["command"]
    assert "${SECRET_KEY:?" in (ROOT / "docker-compose.yml").read_text()  # no default secret


def test_readme_shows_the_two_commands_first_and_the_same_worker_command():
    readme = (ROOT / "README.md").read_text()
    top = "\n".join(readme.splitlines()[:10])
    assert "make run" in top and "make test" in top
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["worker"]["command"] in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
