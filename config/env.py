"""The one place settings read the environment.

Every setting goes through ``env``. A value with no default is required: reading it
when it is unset raises ``ImproperlyConfigured`` naming the variable, which is how
production refuses to start half-configured.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# A developer may keep local overrides in .env; the environment always wins.
_dotenv = BASE_DIR / ".env"
if _dotenv.is_file():
    environ.Env.read_env(str(_dotenv), overwrite=False)


def tune_postgresql(database: dict) -> dict:
    """``database`` with the planner settings every PostgreSQL connection starts with.

    ``random_page_cost``: PostgreSQL's default of 4 prices a random page read at four
    sequential ones, a spinning-disk figure. Our data sits on SSDs with the working set
    in memory, where 1.1 is the usual setting. At 4, the planner would join a broad catalog
    search's few hundred matches to the characters by scanning the whole table rather
    than by primary key (bench/api_latency.py shows the difference).
    ``DATABASE_RANDOM_PAGE_COST`` overrides it."""
    if database["ENGINE"].endswith("postgresql"):
        cost = env.float("DATABASE_RANDOM_PAGE_COST", default=1.1)
        database.setdefault("OPTIONS", {})["options"] = f"-c random_page_cost={cost}"
    return database


def replica_database(primary: dict) -> dict:
    """The read replica's alias from ``DATABASE_REPLICA_URL``, connecting as ``primary``
    does. In a test run it mirrors the test database (Django's TEST MIRROR): no second
    test database is made, and the alias reads the primary's."""
    replica = tune_postgresql(env.db_url("DATABASE_REPLICA_URL"))
    replica["CONN_MAX_AGE"] = primary.get("CONN_MAX_AGE", 0)
    replica["CONN_HEALTH_CHECKS"] = primary.get("CONN_HEALTH_CHECKS", False)
    replica["TEST"] = {"MIRROR": "default"}
    return replica
