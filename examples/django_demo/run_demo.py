#!/usr/bin/env python
"""Launcher of the Django demo (``make demo``): prepares it, then runs supervisord.

    run_demo.py                 migrate, create the demo superuser, print the URL and
                                password, then exec ``supervisord -n -c supervisord.conf``
    run_demo.py redis           (a supervisord program) exec an embedded redis-server
                                on 127.0.0.1, data under JOBQ_DEMO_VAR; with
                                REDIS_URL set, just wait: that Redis is used instead
    run_demo.py after-redis CMD (a supervisord program) wait until Redis answers, then
                                exec CMD

Environment (defaults set here, read by supervisord.conf and the settings):
JOBQ_DEMO_PORT (8000), JOBQ_DEMO_REDIS_PORT (a free port), JOBQ_DEMO_VAR (var/demo),
JOBQ_DEMO_PASSWORD (random), REDIS_URL (an existing Redis instead of the embedded one).
The Redis URL is printed and written to ``redis.url`` beside JOBQ_DEMO_VAR
(var/redis.url), where `jobq info` and `manage.py rqstats` find it without flags.
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def setup_env():
    os.environ.setdefault("JOBQ_DEMO_PORT", "8000")
    os.environ.setdefault("JOBQ_DEMO_VAR", str(ROOT / "var" / "demo"))
    os.environ["JOBQ_DEMO_PYTHON"] = sys.executable
    os.environ["JOBQ_DEMO_DIR"] = str(HERE)
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo_site.settings"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p
    )
    os.environ["PYTHONUNBUFFERED"] = "1"
    var = Path(os.environ["JOBQ_DEMO_VAR"])
    for sub in ("", "log", "redis", "mail", "media"):
        (var / sub).mkdir(parents=True, exist_ok=True)
    return var


def manage(*args):
    subprocess.run([sys.executable, str(HERE / "manage.py"), *args], check=True)


def main():
    var = setup_env()
    if not os.environ.get("REDIS_URL") and not os.environ.get("JOBQ_DEMO_REDIS_PORT"):
        sys.path.insert(0, str(ROOT))
        from jobq.embedded import free_port

        os.environ["JOBQ_DEMO_REDIS_PORT"] = str(free_port())
    password = os.environ.get("JOBQ_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    manage("migrate", "--verbosity", "0")
    manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from django.contrib.auth.models import User\n"
        "u = User.objects.filter(username='admin').first() or User(username='admin')\n"
        "u.is_staff = u.is_superuser = True\n"
        f"u.set_password({password!r})\n"
        "u.save()",
    )
    url = f"http://127.0.0.1:{os.environ['JOBQ_DEMO_PORT']}/"
    redis_url = write_redis_url(var)
    print(
        f"\njobq demo: {url}  (admin: {url}admin/, user admin, password {password})\n"
        f"Redis: {redis_url} (written to {shown(var.parent / 'redis.url')}: `jobq info` "
        "and `manage.py rqstats` run from the repository read it)\n"
        f"logs in {shown(var / 'log')}; `make demo-status` (that is, .venv/bin/supervisorctl "
        "-c supervisord.conf status) shows the programs; Ctrl+C stops everything.\n",
        flush=True,
    )
    supervisord = shutil.which("supervisord", path=str(Path(sys.executable).parent))
    supervisord = supervisord or shutil.which("supervisord")
    if supervisord is None:
        sys.exit("supervisord is missing: pip install supervisor (the demo extra has it)")
    conf = str(ROOT / "supervisord.conf")
    os.execv(supervisord, [supervisord, "-n", "-c", conf])


def write_redis_url(var):
    """Write the URL of the demo's Redis where `jobq info` (``./var/redis.url``) and the
    demo's settings (``manage.py rqstats``) look when no URL is given."""
    port = os.environ.get("JOBQ_DEMO_REDIS_PORT")
    url = os.environ.get("REDIS_URL") or f"redis://127.0.0.1:{port}/0"
    (var.parent / "redis.url").write_text(url + "\n")
    return url


def shown(path):
    """``path`` relative to the repository when it is inside it (shorter to read)."""
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return str(path)


def redis():
    var = setup_env()
    if os.environ.get("REDIS_URL"):
        print(f"using REDIS_URL={os.environ['REDIS_URL']}; no embedded redis-server", flush=True)
        while True:
            signal.pause()  # until supervisord stops it (SIGTERM)
    sys.path.insert(0, str(ROOT))
    from jobq.embedded import find_redis_server

    binary = find_redis_server()
    os.execv(
        binary,
        [
            binary,
            "--port", os.environ["JOBQ_DEMO_REDIS_PORT"],
            "--bind", "127.0.0.1",
            "--dir", str(var / "redis"),
            "--save", "",
            "--appendonly", "yes",
            "--daemonize", "no",
        ],
    )  # fmt: skip


def after_redis(argv):
    setup_env()
    sys.path.insert(0, str(HERE))
    from demo_site.settings import redis_url

    from jobq.connection import from_url

    deadline = time.monotonic() + 30
    while True:
        client = from_url(redis_url())
        try:
            client.ping()
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
        finally:
            client.close()
    os.execv(argv[0], argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["redis"]:
        redis()
    elif sys.argv[1:2] == ["after-redis"]:
        after_redis(sys.argv[2:])
    else:
        main()
