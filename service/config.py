"""Settings: every environment variable the service reads, read once.

Production mode (`JIXIAO_ENV=production`) means: served over HTTPS (session and language cookies marked
Secure) and a real `SECRET_KEY` required — the web app refuses to start without one. Outside production a
missing `SECRET_KEY` is generated once into `SECRET_KEY_FILE` (service/secret_key.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "production")


class ConfigError(ValueError):
    """A setting the service cannot start with; the message tells the operator what to set."""


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _default_database_url() -> str:
    return f"sqlite:///{ROOT / 'instance' / 'jixiao.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    host: str = "127.0.0.1"
    port: int = 5000
    # Signs web sessions (and their CSRF tokens). Unset: generated once into secret_key_file and reused by
    # every process sharing that file; production refuses to start without it.
    secret_key: str | None = None
    secret_key_file: Path = ROOT / "instance" / "secret_key"
    environment: str = "development"
    # Served behind HTTPS (a TLS-terminating proxy): cookies are marked Secure and browsers told to keep to
    # HTTPS. Production implies it. session_cookie_secure, when set, decides the Secure flag on its own.
    https: bool = False
    session_cookie_secure: bool | None = None
    tz_display: str = "Asia/Shanghai"
    forms_dir: Path = ROOT / "forms"
    workflows_dir: Path = ROOT / "workflows"
    # Upload limits (bytes): one model file, and one upload (a whole deployment, or one evidence attachment).
    max_file_bytes: int = 2 * 1024 * 1024
    max_upload_bytes: int = 16 * 1024 * 1024
    # Evidence attachments (content-addressed files; metadata in the database).
    attachments_dir: Path = ROOT / "instance" / "attachments"
    # Engine guards against pathological models.
    engine_max_steps: int = 5000
    engine_time_limit_s: float = 5.0
    max_flow_elements: int = 3000
    max_nesting_depth: int = 12
    token_ttl_seconds: int = 8 * 3600
    admin_user: str | None = None
    admin_password: str | None = None
    job_retries: int = 3
    job_backoff_seconds: float = 30.0
    worker_poll_seconds: float = 5.0
    worker_lease_seconds: float = 60.0
    # Calendar jobs of the worker (crontab lines in CRON_TIMEZONE; "off" disables one): the daily
    # reminder sweep, the annual cycle launch and the monitoring checkpoints (workers/calendar_jobs.py).
    cron_daily: str = "0 8 * * *"
    cron_launch: str = "0 7 * * *"
    cron_checkpoints: str = "30 8 * * *"
    # The year-end coverage review (workflows/coverage_review.bpmn): on 2 January, the previous year's coverage.
    cron_coverage_review: str = "0 9 2 1 *"
    # The departments' periodic performance reports (workflows/performance_report.bpmn): daily, the reports of the
    # last period of rule report.period_months that has ended are started once per department.
    cron_reports: str = "15 9 * * *"
    # The nightly verification of every history (workers/nightly_verify.py): a night's run replays only what
    # changed since the last one's checkpoints, and keeps a year's archive verifiable at checkpoint speed.
    cron_verify: str = "30 2 * * *"
    cron_timezone: str = "Asia/Shanghai"
    # Outgoing mail. Without SMTP_HOST each mail is written as a .eml file into MAIL_SINK_DIR (`make run`).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "jixiao@localhost"
    smtp_starttls: bool = False
    smtp_timeout_s: float = 10.0
    mail_sink_dir: Path = ROOT / "instance" / "mail"

    @property
    def production(self) -> bool:
        """Run as production (JIXIAO_ENV=production): a real SECRET_KEY and HTTPS are required."""
        return self.environment == "production"

    @property
    def behind_https(self) -> bool:
        """Browsers reach the service over HTTPS (JIXIAO_HTTPS=1, or production)."""
        return self.https or self.production

    @property
    def cookie_secure(self) -> bool:
        """Mark session and language cookies Secure: SESSION_COOKIE_SECURE if set, else when behind HTTPS."""
        return self.behind_https if self.session_cookie_secure is None else self.session_cookie_secure

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from the environment (or a given mapping)."""
        e = os.environ if env is None else env
        s = cls()
        pairs: dict[str, object] = {}
        _str = {"DATABASE_URL": "database_url", "HOST": "host", "SECRET_KEY": "secret_key",
                "JIXIAO_ENV": "environment",
                "TZ_DISPLAY": "tz_display", "JIXIAO_ADMIN_USER": "admin_user",
                "JIXIAO_ADMIN_PASSWORD": "admin_password", "SMTP_HOST": "smtp_host", "SMTP_USER": "smtp_user",
                "SMTP_PASSWORD": "smtp_password", "SMTP_FROM": "smtp_from",
                "JIXIAO_CRON_DAILY": "cron_daily", "JIXIAO_CRON_LAUNCH": "cron_launch",
                "JIXIAO_CRON_CHECKPOINTS": "cron_checkpoints", "JIXIAO_CRON_COVERAGE": "cron_coverage_review",
                "JIXIAO_CRON_REPORTS": "cron_reports", "JIXIAO_CRON_VERIFY": "cron_verify",
                "JIXIAO_CRON_TZ": "cron_timezone"}
        for var, attr in _str.items():
            if e.get(var):
                pairs[attr] = e[var]
        _int = {"PORT": "port", "JIXIAO_MAX_FILE_BYTES": "max_file_bytes",
                "JIXIAO_MAX_UPLOAD_BYTES": "max_upload_bytes", "JIXIAO_ENGINE_MAX_STEPS": "engine_max_steps",
                "JIXIAO_TOKEN_TTL_SECONDS": "token_ttl_seconds", "JIXIAO_JOB_RETRIES": "job_retries",
                "SMTP_PORT": "smtp_port"}
        for var, attr in _int.items():
            if e.get(var):
                pairs[attr] = int(e[var])
        _float = {"JIXIAO_ENGINE_TIME_LIMIT": "engine_time_limit_s",
                  "JIXIAO_JOB_BACKOFF_SECONDS": "job_backoff_seconds",
                  "WORKER_POLL_SECONDS": "worker_poll_seconds", "WORKER_LEASE_SECONDS": "worker_lease_seconds"}
        for var, attr in _float.items():
            if e.get(var):
                pairs[attr] = float(e[var])
        _bool = {"SMTP_STARTTLS": "smtp_starttls", "JIXIAO_HTTPS": "https",
                 "SESSION_COOKIE_SECURE": "session_cookie_secure"}
        for var, attr in _bool.items():
            if e.get(var):
                pairs[attr] = _flag(e[var])
        _path = {"SECRET_KEY_FILE": "secret_key_file", "JIXIAO_ATTACHMENTS_DIR": "attachments_dir",
                 "MAIL_SINK_DIR": "mail_sink_dir", "JIXIAO_FORMS_DIR": "forms_dir",
                 "JIXIAO_WORKFLOWS_DIR": "workflows_dir"}
        for var, attr in _path.items():
            if e.get(var):
                pairs[attr] = Path(e[var])
        if pairs.get("environment", "development") not in ENVIRONMENTS:
            raise ConfigError(f"JIXIAO_ENV must be one of {', '.join(ENVIRONMENTS)}, not {pairs['environment']!r}")
        return replace(s, **pairs)  # type: ignore[arg-type]
