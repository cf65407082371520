"""CRM Sandbox: a GDPR-aware mock CRM for observed assessment of contact-centre learners."""

import os
from typing import Any

from flask import Flask

from crm_sandbox import config


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Create and configure the app. ``test_config`` overrides everything (used by the tests);
    ``instance_path`` (or ``CRM_INSTANCE_PATH``) moves the instance folder with its keys and database."""
    # The templates and static files live at the top of the checkout, beside the package,
    # so the app runs from a checkout (an editable install), as `make run` does.
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=instance_path or os.environ.get("CRM_INSTANCE_PATH") or None,
        template_folder=str(config.TEMPLATE_DIR),
        static_folder=str(config.STATIC_DIR),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.defaults(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        config.apply_environment(app.config)
    else:
        app.config.from_mapping(test_config)

    register_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_security(app)
    register_template_helpers(app)
    register_commands(app)
    register_retention(app)
    return app


def register_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies (nginx: 1), the client's address and scheme are the
    ones the nearest proxies forwarded (Werkzeug's ProxyFix, trusting that many hops and no more). With
    0, the default, forwarded headers are ignored: any client can send them."""
    hops = app.config.get("TRUSTED_PROXIES") or 0
    try:
        hops = int(hops)
    except (TypeError, ValueError):
        raise ValueError(f"TRUSTED_PROXIES must be a whole number of proxies (got {hops!r}).") from None
    if hops < 0:
        raise ValueError(f"TRUSTED_PROXIES must be 0 or more (got {hops}).")
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The address and the scheme only: nginx sets Host itself, and a client-sent X-Forwarded-Host that
        # the proxy passed through unchanged must not become the host the app believes it serves.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)  # type: ignore[method-assign]


def register_retention(app: Flask) -> None:
    """Retention runs by itself: at each worker's first request, then every RETENTION_PURGE_HOURS."""
    from crm_sandbox.admin import retention

    retention.install(app)


def register_extensions(app: Flask) -> None:
    from crm_sandbox.database import configure_engine, guard_events
    from crm_sandbox.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = "strong"
    with app.app_context():
        configure_engine(db.engine)
    guard_events()  # events are append-only (findings are refreshed by each operation, visibly)
    register_ledger(app)


def register_ledger(app: Flask) -> None:
    """Every change to an evidential row is recorded in the ledger. (The signing key is made when the
    instance is set up: bootstrap, init-db and every schema upgrade; never by a worker, and never on a
    machine that only checks packs.)"""
    from crm_sandbox import ledger

    ledger.install()


def register_blueprints(app: Flask) -> None:
    from werkzeug.routing import IntegerConverter, Map

    from crm_sandbox.views import assessor, auth, health, learner, level3, quality, reports, trainer

    class RowIdConverter(IntegerConverter):
        """``<int:…>`` in a URL: at most a 64-bit row id, so a longer number is a 404, not a driver error."""

        def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("max", 2**63 - 1)
            super().__init__(map, *args, **kwargs)

    app.url_map.converters["int"] = RowIdConverter  # before any rule is added
    for module in (auth, learner, assessor, trainer, quality, level3, reports, health):
        app.register_blueprint(module.bp)
    app.add_url_rule("/", endpoint="index", view_func=auth.index)
    # Browsers ask for /favicon.ico whatever the page links: served as the static file it is (cached).
    app.add_url_rule(
        "/favicon.ico", endpoint="static", view_func=app.view_functions["static"], defaults={"filename": "favicon.ico"}
    )


def register_security(app: Flask) -> None:
    from crm_sandbox.security import register

    register(app)


def register_errors(app: Flask) -> None:
    from crm_sandbox.views.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from crm_sandbox.views.helpers import register

    register(app)


def register_commands(app: Flask) -> None:
    from crm_sandbox.cli import register

    register(app)
    from crm_sandbox.cli.trainer import register as register_trainer_commands

    register_trainer_commands(app)
