"""Start web (gunicorn), the edge server, Celery worker, Celery beat and the WhatsApp Cloud API
simulator together; stop all when one stops."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from portal import web_server


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat under one supervisor."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument(
            "--edge-port",
            type=int,
            default=int(os.environ.get("EDGE_PORT") or 0),
            help="The edge server's port (TLS ask, WhatsApp webhooks); default: the web port + 80.",
        )
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_WORKERS", 2)))
        parser.add_argument("--web-threads", type=int, default=int(os.environ.get("WEB_THREADS", 1)))
        parser.add_argument(
            "--no-whatsapp-simulator", action="store_true", help="Do not start the local WhatsApp Cloud API stand-in."
        )
        parser.add_argument(
            "--verbose",
            action="store_true",
            default=os.environ.get("RUN_VERBOSE", "") not in ("", "0"),
            help="Print every request and task (otherwise only warnings and errors after the start-up lines).",
        )

    def handle(self, *args, **opts):
        python = sys.executable
        bindir = os.path.dirname(python)
        data_dir = str(settings.DATA_DIR)
        # A person starting the portal needs the URL, the logins and the key; request and task
        # logs come with --verbose. Warnings and errors always show.
        verbose = opts["verbose"]
        log_level = "INFO" if verbose else "WARNING"
        celery = [python, "-m", "celery"] if verbose else [python, "-m", "celery", "--quiet"]
        edge_port = opts["edge_port"] or opts["port"] + 80
        commands = {
            "web": web_server.command(
                bindir,
                bind=f"{opts['host']}:{opts['port']}",
                workers=opts["web_workers"],
                threads=opts["web_threads"],
                access_log="-" if verbose else None,
                log_level=log_level.lower(),
            ),
            "worker": [
                *celery,
                "-A",
                "portal",
                "worker",
                "--loglevel",
                log_level,
                "--concurrency",
                "2",
                "--hostname",
                f"worker-{opts['port']}@%h",
                # Every queue (sms-high, celery, webhooks, sms-bulk): one machine runs one worker;
                # docs/scaling.md gives each queue workers of its own.
                "--queues",
                ",".join(settings.QUEUE_NAMES),
            ],
            "beat": [
                *celery,
                "-A",
                "portal",
                "beat",
                "--loglevel",
                log_level,
                "--schedule",
                os.path.join(data_dir, "celerybeat-schedule"),
                "--pidfile",
                "",
            ],
        }
        # Caddy's TLS `ask` and the provider's webhooks (portal/core/edge); gunicorn answers both
        # too, as the fallback.
        commands["edge"] = [
            python,
            str(settings.BASE_DIR / "manage.py"),
            "edge",
            "--host",
            opts["host"],
            "--port",
            str(edge_port),
        ]
        if not opts["no_whatsapp_simulator"]:
            # The local stand-in for Meta's Cloud API: its webhooks come back to this portal's edge.
            commands["whatsapp-simulator"] = [
                python,
                "-m",
                "messaging.channels.whatsapp.simulator",
                "--port",
                str(settings.WHATSAPP["simulator_port"]),
                "--webhook-url",
                f"http://127.0.0.1:{edge_port}/whatsapp/cloud/webhook",
                "--app-secret",
                settings.WHATSAPP["simulator_app_secret"],
            ]
        if settings.VOICE_SIP_ENABLED:  # the SIP media worker, its own process (docs/voice.md)
            commands["voice-media"] = [python, str(settings.BASE_DIR / "manage.py"), "voice_media"]
        # The children build e-mail links from PORT (settings.SITE_URL), so they get the port served.
        child_env = {**os.environ, "PORT": str(opts["port"]), "EDGE_PORT": str(edge_port)}
        procs = {name: subprocess.Popen(cmd, env=child_env) for name, cmd in commands.items()}  # noqa: S603
        self._announce(opts)

        stopping = False

        def stop(signum=None, frame=None):
            nonlocal stopping
            if stopping:
                return
            stopping = True
            for proc in procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping the others.")
                        stop()
                        break
                time.sleep(0.5)
        finally:
            stop()
            deadline = time.time() + 15
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    proc.kill()
        return None

    def _announce(self, opts):
        url = f"http://localhost:{opts['port']}/"
        lines = [f"Portal running at {url}  (Ctrl-C stops web, edge, worker, beat and the WhatsApp simulator)"]
        demo = settings.DATA_DIR / "demo_credentials.txt"
        if demo.exists():
            lines.append(demo.read_text().strip())
        if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
            lines.append(f"E-mails are written to {settings.EMAIL_FILE_PATH}/ (EMAIL_BACKEND=console prints them).")
        self.stdout.write("\n".join(["", *lines, ""]))
