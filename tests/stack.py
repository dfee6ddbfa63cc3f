"""Starts the three real processes (Rasa, action server, web service) on free loopback ports."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import requests

from hotline.config import PROJECT_ROOT

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, workdir: Path, model: Path, extra_env: Optional[Dict[str, str]] = None) -> None:
        self.workdir = workdir
        self.model = model
        self.rasa_port, self.actions_port, self.web_port = free_port(), free_port(), free_port()
        self.token = secrets.token_urlsafe(32)  # also the JWT secret: 32+ bytes for HS256
        self.actions_secret = secrets.token_urlsafe(24)
        self.database_url = f"sqlite:///{workdir / 'hotline.db'}"
        self.env = {
            **os.environ,
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "DATABASE_URL": self.database_url,
            "TRACKER_STORE_URL": f"sqlite:///{workdir / 'tracker.db'}",
            "RASA_TOKEN": self.token,
            "ACTIONS_SECRET": self.actions_secret,
            "SECRET_KEY": secrets.token_hex(16),
            "RASA_PORT": str(self.rasa_port),
            "ACTIONS_PORT": str(self.actions_port),
            "WEB_PORT": str(self.web_port),
            "RASA_URL": f"http://127.0.0.1:{self.rasa_port}",
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "SANIC_HOST": "127.0.0.1",
            "COOKIE_SECURE": "0",  # the tests speak plain HTTP on loopback
            **(extra_env or {}),
        }
        if "REDIS_URL" not in (extra_env or {}):
            self.env.pop("REDIS_URL", None)  # in-memory locks unless a test asks for Redis
        self.processes: List[subprocess.Popen] = []
        self.logs: Dict[str, Path] = {}
        self.commands: Dict[str, List[str]] = {}
        self.named: Dict[str, subprocess.Popen] = {}

    def rasa_headers(self) -> Dict[str, str]:
        """Rasa's API token as the web service sends it: a JWT in the Authorization header."""
        from hotline.rasa_client import RasaClient

        return RasaClient(self.rasa_url, self.token).headers()

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def _spawn(self, name: str, args: List[str]) -> None:
        log = self.workdir / f"{name}.log"
        self.logs[name] = log
        with open(log, "ab") as handle:  # the child has its own copy of the descriptor
            process = subprocess.Popen(args, cwd=PROJECT_ROOT, env=self.env, stdout=handle,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        self.commands[name], self.named[name] = args, process

    def spawn(self, name: str, args: List[str]) -> None:
        """Start one more process with the stack's settings (a job of `make run`); stopped with the stack."""
        self._spawn(name, args)

    def _checks(self) -> Dict[str, str]:
        return {
            "rasa": f"{self.rasa_url}/status",
            "actions": f"http://127.0.0.1:{self.actions_port}/health",
            "web": f"{self.web_url}/api/health",
        }

    def stop_one(self, name: str, sig: int = signal.SIGTERM) -> None:
        """Stop one of the three processes (a fault test; SIGKILL for a crash); `start_one` brings it back."""
        process = self.named.pop(name)
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self.processes.remove(process)

    def start_one(self, name: str, timeout: float = 240.0) -> None:
        self._spawn(name, self.commands[name])
        if name not in self._checks():
            return  # a job: nothing to wait for
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(self._checks()[name], timeout=2, headers=self.rasa_headers()).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.named[name].poll() is not None:
                raise RuntimeError(f"{name} exited on restart:\n{self.tails()}")
            time.sleep(0.5)
        raise RuntimeError(f"{name} not ready {timeout} s after restart:\n{self.tails()}")

    def start(self, timeout: float = 240.0) -> "Stack":
        subprocess.run([str(BIN / "hotline"), "db", "upgrade"], cwd=PROJECT_ROOT, env=self.env, check=True,
                       capture_output=True)
        self._spawn("actions", [str(BIN / "python"), "-m", "actions", "--actions", "actions",
                                "--port", str(self.actions_port)])
        self._spawn("rasa", [str(BIN / "rasa"), "run", "--enable-api", "--auth-token", self.token,
                             "--jwt-secret", self.token, "--jwt-method", "HS256",
                             "--interface", "127.0.0.1", "--port", str(self.rasa_port), "--model", str(self.model),
                             "--endpoints", "endpoints.yml", "--credentials", "credentials.example.yml"])
        self._spawn("web", [str(BIN / "hotline"), "serve", "--port", str(self.web_port)])
        self.started_at = time.monotonic()
        deadline = time.monotonic() + timeout
        pending = self._checks()
        while pending and time.monotonic() < deadline:
            for name, url in list(pending.items()):
                try:
                    if requests.get(url, timeout=2, headers=self.rasa_headers()).status_code == 200:
                        pending.pop(name)
                except requests.RequestException:
                    pass
            for process in self.processes:
                if process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"a process exited early:\n{self.tails()}")
            time.sleep(0.5)
        if pending:
            self.stop()
            raise RuntimeError(f"not ready after {timeout} s: {sorted(pending)}\n{self.tails()}")
        self.ready_seconds = time.monotonic() - self.started_at
        return self

    def tails(self, lines: int = 40) -> str:
        parts = []
        for name, path in self.logs.items():
            text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
            parts.append(f"--- {name} ---\n" + "\n".join(text))
        return "\n".join(parts)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes = []

    def say(self, sender: str, text: str) -> List[dict]:
        """One turn through Rasa's REST channel, as a channel would deliver it."""
        response = requests.post(f"{self.rasa_url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text}, timeout=60)
        response.raise_for_status()
        return response.json()
