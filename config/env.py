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
