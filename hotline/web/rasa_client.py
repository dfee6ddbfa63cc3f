"""A small client for the Rasa server's REST channel and HTTP API."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import requests


class RasaUnavailable(RuntimeError):
    pass


class RasaClient:
    def __init__(self, base_url: str, token: Optional[str] = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def send(self, sender_id: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """Deliver a citizen's message through the REST channel; returns the bot's replies."""
        payload: Dict[str, Any] = {"sender": sender_id, "message": text}
        if metadata:
            payload["metadata"] = metadata
        try:
            response = requests.post(f"{self.base_url}/webhooks/rest/webhook", json=payload, timeout=self.timeout)
        except requests.RequestException as error:
            raise RasaUnavailable(str(error)) from error
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}: {response.text[:200]}")
        return response.json()

    def parse(self, text: str) -> Dict[str, Any]:
        """The NLU parse with the triage record (`POST /model/parse`)."""
        params = {"token": self.token} if self.token else None
        try:
            response = requests.post(f"{self.base_url}/model/parse", json={"text": text}, params=params,
                                     timeout=self.timeout)
        except requests.RequestException as error:
            raise RasaUnavailable(str(error)) from error
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}: {response.text[:200]}")
        return response.json()
