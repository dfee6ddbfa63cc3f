"""Fault run on the real processes: citizens chat while Rasa and the action server are killed (SIGKILL) and restarted.

    .venv/bin/python -m bench.faults                      # 1,000 messages, 100 citizens, 2 kills of each
    .venv/bin/python -m bench.faults --senders 20 --messages 5 --kills 1

Starts Rasa, the action server, the web service (tests/stack.py) and the
hand-off job exactly as `make run` runs it (`hotline jobs run-handoffs
--every 10`). Citizens use the web chat's inbound path, each with their own
cookie jar (the server issues the conversation) and their own loopback
address (127.0.x.y: a hundred citizens are a hundred addresses, so the
per-address chat limit sees what it would see in production). A citizen
behaves like the chat page: a request that fails (connection dropped, 5xx,
409 "in progress") is sent again with the same message id; one message per
citizen is also sent twice on purpose (a lost answer). While they talk, Rasa
and the action server are each killed with SIGKILL and restarted `--kills`
times. At the end, once the job has answered what was kept, it counts from
the database and Rasa's tracker store:

- lost: a message the citizen sent that has no stored row, or a row never processed
- duplicated turns: a message that reached Rasa's tracker more than once (by provider message id)
- duplicated cases: a conversation with more than one case
- unanswered citizens: a citizen with a message that got no reply, in the POST or later through the poll
"""
from __future__ import annotations

import argparse
import json
import signal
import sqlite3
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import requests
from requests.adapters import HTTPAdapter

from hotline.config import PROJECT_ROOT
from hotline.privacy import mask_personal

# Ten messages a citizen may send: a wage dispute that ends in a case (consent, phone), and some talk around it.
SCRIPT = ["老板拖欠我们三个月工资了，一共三万多", "城关镇幸福村", "宏达建筑公司", "就我一个", "同意", "13812345678",
          "对", "谢谢", "案件多久能处理", "再见"]


class FromAddress(HTTPAdapter):
    """Connections from one loopback address (127.0.0.0/8 is all loopback on Linux)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


@dataclass
class Citizen:
    number: int
    url: str
    browser: requests.Session = field(default_factory=requests.Session)
    sent: List[str] = field(default_factory=list)  # message ids, in order
    queued: int = 0
    seen: int = 0  # the last message of the conversation this citizen has read
    retries: int = 0
    statuses: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        address = f"127.0.{1 + self.number // 250}.{2 + self.number % 250}"
        self.browser.mount("http://", FromAddress(address))

    def post(self, message_id: str, text: str) -> dict:
        """Send like the page does: again with the same id until the service gives an answer."""
        for attempt in range(60):
            try:
                response = self.browser.post(f"{self.url}/chat/api/messages", timeout=120,
                                             json={"message_id": message_id, "text": text})
                self.statuses[response.status_code] += 1
                if response.status_code in (200, 202):
                    return response.json()
            except requests.RequestException:
                self.statuses["connection"] += 1
            self.retries += 1
            time.sleep(min(5.0, 0.5 * (attempt + 1)))
        raise RuntimeError(f"citizen {self.number}: message {message_id} never accepted")

    def wait_for_answer(self, timeout: float = 300.0) -> None:
        """A citizen told "已保存" waits for the answer, polling like the page, before saying more."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(2)
            try:
                body = self.browser.get(f"{self.url}/chat/api/messages", params={"after": self.seen}, timeout=30)
            except requests.RequestException:
                continue
            if body.status_code != 200:
                continue
            messages = body.json()["messages"]
            if messages:
                self.seen = max(m["seq"] for m in messages)
            if any(m["from"] == "bot" for m in messages):
                return

    def talk(self, messages: int) -> None:
        for index in range(messages):
            message_id = uuid.uuid4().hex
            text = SCRIPT[index % len(SCRIPT)]
            self.sent.append(message_id)
            body = self.post(message_id, text)
            self.seen = max([self.seen] + [r["seq"] for r in body["replies"] if r.get("seq")])
            if body.get("queued"):
                self.queued += 1
                self.wait_for_answer()
            if index == 1:  # the answer "was lost": the page sends the same message again
                again = self.post(message_id, text)
                assert again.get("duplicate") is True, again


@dataclass
class Figures:
    citizens: int
    messages: int
    kills: Dict[str, int]
    seconds: float
    queued: int
    retries: int
    statuses: Dict[str, int]
    lost: int
    unprocessed: int
    duplicated_turns: int
    duplicated_cases: int
    missing_turns: int
    cases: int
    unanswered_messages: int
    held_by_a_person: int  # messages sent after the bot handed the conversation to a person (bot silent by design)
    unanswered_citizens: int
    restart_seconds: Dict[str, List[float]]

    def lines(self) -> List[str]:
        return [
            f"citizens {self.citizens}, messages {self.messages} (+{self.citizens} deliberate resends), "
            f"kills {self.kills}, {self.seconds:.0f} s",
            f"answers: {self.statuses}; queued while Rasa was down {self.queued}; client retries {self.retries}",
            f"restart to ready (s): " + ", ".join(f"{k} {[round(v) for v in vs]}" for k, vs in
                                                   self.restart_seconds.items()),
            f"lost {self.lost}, never processed {self.unprocessed}, duplicated turns {self.duplicated_turns}, "
            f"turns missing from the tracker {self.missing_turns}, "
            f"duplicated cases {self.duplicated_cases} (cases {self.cases}), messages without a reply "
            f"{self.unanswered_messages} (besides {self.held_by_a_person} to a conversation a person holds), citizens without an answer {self.unanswered_citizens}",
        ]


def _chaos(stack, plan: List[str], progress, total: int, restarts: Dict[str, List[float]], stop: threading.Event):
    """Kill each planned process once a share of the messages is sent, then start it again at once."""
    for step, name in enumerate(plan, start=1):
        while progress() < total * step / (len(plan) + 1) and not stop.is_set():
            time.sleep(0.2)
        if stop.is_set():
            return
        stack.stop_one(name, signal.SIGKILL)
        started = time.monotonic()
        stack.start_one(name)
        restarts.setdefault(name, []).append(time.monotonic() - started)


def _rows(database: Path) -> Dict[str, tuple]:
    """Stored web chat messages by provider message id: (conversation, status, replies, a person held it)."""
    with sqlite3.connect(database) as db:
        held = dict(db.execute("SELECT sender_id, min(requested_at) FROM handoffs WHERE channel = 'webchat' "
                               "GROUP BY sender_id"))
        return {mid: (sender, status, json.loads(replies) if replies else [],
                      sender in held and received >= held[sender])
                for mid, sender, status, replies, received in
                db.execute("SELECT message_id, sender_id, status, replies, received_at FROM inbound_messages "
                           "WHERE channel = 'webchat'")}


def _wait_until_processed(database: Path, sent: set, timeout: float) -> None:
    """Until every message is processed and no command for Rasa's tracker waits in the outbox (the copies of
    messages a person held while Rasa was down are appended by the job, with back-off)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _rows(database)
        with sqlite3.connect(database) as db:
            waiting = db.execute("SELECT count(*) FROM outbox WHERE target = 'rasa' "
                                 "AND status IN ('pending', 'sending')").fetchone()[0]
        if all(rows.get(m, ("", ""))[1] == "processed" for m in sent) and not waiting:
            return
        time.sleep(2)


def _turns(tracker: sqlite3.Connection) -> Counter:
    """Per provider message id, the user turns it made in Rasa's tracker, less those the inbox took back.

    (Rasa's own fallback also rewinds, but after answering: that turn happened, and its rewind names no message.)
    The tracker store masks long digit runs in every stored string, metadata included, once no form is active:
    an id is looked up as sent and masked.
    A user message Rasa's two-stage fallback rewinds and says again in the same turn (its affirmation flow)
    is one turn: a user event right after a rewind of Rasa's, with the same message id as the one before it.
    """
    turns: Counter = Counter()
    last: Dict[str, tuple] = {}  # conversation -> (its last user message id, a rewind of Rasa's since)
    for sender, kind, data in tracker.execute(
            "SELECT sender_id, type_name, data FROM events WHERE type_name IN ('user', 'rewind') ORDER BY id"):
        metadata = json.loads(data).get("metadata") or {}
        previous, rewound = last.get(sender, ("", False))
        if kind == "user" and metadata.get("message_id"):
            if not (rewound and metadata["message_id"] == previous):
                turns[metadata["message_id"]] += 1
            last[sender] = (metadata["message_id"], False)
        elif kind == "rewind" and metadata.get("undone_message_id"):
            turns[metadata["undone_message_id"]] -= 1
            last[sender] = ("", False)
        elif kind == "rewind":
            last[sender] = (previous, True)
    return turns


def _count(stack, citizens: List[Citizen], workdir: Path, started: float, plan: List[str], restarts) -> Figures:
    sent = {m for c in citizens for m in c.sent}
    stored = {m: row for m, row in _rows(workdir / "hotline.db").items() if m in sent}
    rows = {m: row[1:] for m, row in stored.items()}  # (status, replies, a person held it)
    conversations = {row[0] for row in stored.values()}
    missing = ("", [], False)
    with sqlite3.connect(workdir / "hotline.db") as db:
        cases = Counter(sender for (sender,) in db.execute("SELECT sender_id FROM cases WHERE channel = 'webchat'")
                        if sender in conversations)
    tracker = sqlite3.connect(workdir / "tracker.db")
    turns = _turns(tracker)
    turns = Counter({m: turns[m] + (turns[mask_personal(m)] if mask_personal(m) != m else 0) for m in sent})
    unanswered_citizens = 0
    for citizen in citizens:
        # (The full run once saw this poll wait over 30 s right after the load: a generous timeout.)
        feed = citizen.browser.get(f"{stack.web_url}/chat/api/messages", params={"after": 0}, timeout=180).json()
        bot_said = [m for m in feed["messages"] if m["from"] == "bot"]
        answered_here = all(rows.get(m, missing)[1] or rows.get(m, missing)[2] for m in citizen.sent)
        if not bot_said or not answered_here:
            unanswered_citizens += 1
    statuses: Counter = Counter()
    for citizen in citizens:
        statuses.update({str(k): v for k, v in citizen.statuses.items()})
    return Figures(
        citizens=len(citizens), messages=len(sent), kills=Counter(plan), seconds=time.monotonic() - started,
        queued=sum(c.queued for c in citizens), retries=sum(c.retries for c in citizens), statuses=dict(statuses),
        lost=len(sent - rows.keys()), unprocessed=sum(1 for m in sent if rows.get(m, missing)[0] != "processed"),
        duplicated_turns=sum(1 for m in sent if turns[m] > 1), missing_turns=sum(1 for m in sent if turns[m] < 1),
        duplicated_cases=sum(1 for n in cases.values() if n > 1), cases=sum(cases.values()),
        unanswered_messages=sum(1 for m in sent if not rows.get(m, missing)[1] and not rows.get(m, missing)[2]),
        held_by_a_person=sum(1 for m in sent if rows.get(m, missing)[2]),
        unanswered_citizens=unanswered_citizens, restart_seconds=restarts)


def run(stack, senders: int = 100, messages: int = 10, kills: int = 2, workers: int = 8,
        settle_timeout: float = 300.0) -> Figures:
    """The fault run on a started stack (its SQLite files in stack.workdir); the job is started here."""
    from tests.stack import BIN

    stack.spawn("handoffs", [str(BIN / "hotline"), "jobs", "run-handoffs", "--every", "10"])
    citizens = [Citizen(n, stack.web_url) for n in range(senders)]
    total = senders * messages
    plan = ["rasa", "actions"] * kills
    restarts: Dict[str, List[float]] = {}
    stop = threading.Event()
    started = time.monotonic()
    chaos = threading.Thread(target=_chaos, args=(stack, plan, lambda: sum(len(c.sent) for c in citizens), total,
                                                   restarts, stop), daemon=True)
    chaos.start()
    try:
        with ThreadPoolExecutor(workers) as pool:
            for future in [pool.submit(c.talk, messages) for c in citizens]:
                future.result()
        chaos.join()  # every planned kill happens, even if the citizens were quicker
        _wait_until_processed(stack.workdir / "hotline.db", {m for c in citizens for m in c.sent}, settle_timeout)
        return _count(stack, citizens, stack.workdir, started, plan, restarts)
    finally:
        stop.set()
        chaos.join()
        stack.stop_one("handoffs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=100)
    parser.add_argument("--messages", type=int, default=10, help="messages per citizen")
    parser.add_argument("--kills", type=int, default=2, help="SIGKILLs of Rasa and of the action server, each")
    parser.add_argument("--workers", type=int, default=8, help="citizens talking at once")
    args = parser.parse_args()
    from tests.stack import Stack

    workdir = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    stack = Stack(workdir, (PROJECT_ROOT / "models" / "current.tar.gz").resolve()).start()
    try:
        figures = run(stack, args.senders, args.messages, args.kills, args.workers)
    finally:
        stack.stop()
    print("\n".join(figures.lines()))


if __name__ == "__main__":
    main()
