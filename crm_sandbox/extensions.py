"""Flask extensions, created without an app and initialised in :func:`crm_sandbox.create_app`."""

from pathlib import Path

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from crm_sandbox.models.base import Base

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
# The migration scripts live in the package so they ship with it. Batch mode lets SQLite alter tables
# (by copying them); the naming convention in models.base names every constraint a script touches.
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
migrate = Migrate(directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
