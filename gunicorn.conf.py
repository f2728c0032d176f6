"""gunicorn reads ./gunicorn.conf.py when started from the repository without -c: the same settings as
`jixiao serve` and `gunicorn -c python:service.gunicorn_conf` (service/gunicorn_conf.py)."""

from service.gunicorn_conf import *  # noqa: F403
