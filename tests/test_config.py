"""Configuration: the defaults, then instance/config.py, then the environment (which wins)."""

from crm_sandbox import create_app


def make(tmp_path, instance_config: str = ""):
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    (instance / "config.py").write_text(instance_config)
    return create_app(instance_path=str(instance))


def test_instance_config_overrides_the_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("CRM_SESSION_IDLE_MINUTES", raising=False)
    app = make(tmp_path, "SESSION_IDLE_MINUTES = 10\n")
    assert app.config["SESSION_IDLE_MINUTES"] == 10


def test_the_environment_overrides_instance_config(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("CRM_DEMO_CUSTOMERS", "40")
    monkeypatch.setenv("CRM_SESSION_COOKIE_SECURE", "false")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'from-env.sqlite'}")
    app = make(tmp_path, "SESSION_IDLE_MINUTES = 10\nSQLALCHEMY_DATABASE_URI = 'sqlite:////nowhere/x.sqlite'\n")
    assert app.config["SESSION_IDLE_MINUTES"] == 5  # values are read as JSON: a number
    assert app.config["DEMO_CUSTOMERS"] == 40
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("from-env.sqlite")
