"""The NLU part of a loaded model's predict graph run on many messages in one pass, and the micro-batcher.

Rasa's `processor.parse_message` runs one message through the whole predict graph
with dask (the schema is pruned and a dask graph built on every call). Here the
nodes the NLU target depends on are taken from the processor's own graph runner
(the same component instances, nothing is loaded twice), put in topological order
once, and each GraphNode is called with a list of messages, as dask would call it.
Which nodes those are is read from the model, so any config.yml pipeline works.

Passes may run in a worker thread while the event loop runs a conversation
through `processor.graph_runner`; one lock keeps the two from ever running the
components at the same time (stock Rasa never does: it runs them all on the
event loop), so no component has to be thread-safe.
"""
from __future__ import annotations

import asyncio
import graphlib
import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Deque, Dict, List, Optional, Sequence, Tuple, Union

from rasa.core.channels.channel import UserMessage
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT

logger = logging.getLogger(__name__)

Outcome = Union[Dict[str, Any], Exception]


class ExclusiveGraphRunner:
    """Rasa's graph runner, run under a lock that our passes take too."""

    def __init__(self, runner: Any) -> None:
        self.runner = runner
        self.lock = threading.Lock()

    def run(self, inputs: Optional[Dict[str, Any]] = None, targets: Optional[List[str]] = None) -> Dict[str, Any]:
        with self.lock:
            return self.runner.run(inputs=inputs, targets=targets)

    def __getattr__(self, name: str) -> Any:  # anything else Rasa may read from its runner
        if name == "runner":  # not set yet (copy, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.runner, name)


class NluGraph:
    """The NLU target's nodes of one loaded model, callable on a list of texts."""

    def __init__(self, processor: Any, nodes: Dict[str, Any], order: List[str], needs: Dict[str, List[str]],
                 target: str, lock: threading.Lock) -> None:
        self.processor = processor
        self._lock = lock
        self._nodes = nodes
        self._order = order
        self._needs = needs
        self._target = target
        self._wants_tracker = any(PLACEHOLDER_TRACKER in deps for deps in needs.values())

    @classmethod
    def of(cls, processor: Any) -> Optional["NluGraph"]:
        """The graph of `processor`'s model, or None when it cannot be run this way: NLU served
        by an HTTP interpreter (endpoints.yml `nlu:`), a model without NLU, or a graph runner
        other than Rasa's DaskGraphRunner. Callers then use `processor.parse_message`.
        Puts `processor.graph_runner` behind the lock the passes take (ExclusiveGraphRunner)."""
        if getattr(processor, "http_interpreter", None) is not None:
            return None
        metadata = getattr(processor, "model_metadata", None)
        target = getattr(metadata, "nlu_target", None)
        runner = getattr(processor, "graph_runner", None)
        nodes = getattr(runner, "_instantiated_nodes", None)
        if not target or not isinstance(nodes, dict):
            return None
        schema = metadata.predict_schema.minimal_graph_schema([target])
        needs = {name: list(node.needs.values()) for name, node in schema.nodes.items()}
        placeholders = {dep for deps in needs.values() for dep in deps if dep not in schema.nodes}
        if placeholders - {PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER} or not set(schema.nodes) <= set(nodes):
            return None
        inner = {name: [dep for dep in deps if dep in schema.nodes] for name, deps in needs.items()}
        order = list(graphlib.TopologicalSorter(inner).static_order())
        if not isinstance(runner, ExclusiveGraphRunner):
            runner = processor.graph_runner = ExclusiveGraphRunner(runner)
        return cls(processor, {name: nodes[name] for name in order}, order, needs, target, runner.lock)

    @property
    def node_names(self) -> List[str]:
        return list(self._order)

    def parse(self, texts: Sequence[str]) -> List[Dict[str, Any]]:
        """For each text, what `processor.parse_message(UserMessage(text))` returns, in one pass."""
        with self._lock:
            return self._parse(texts)

    def _parse(self, texts: Sequence[str]) -> List[Dict[str, Any]]:
        outputs: Dict[str, Any] = {PLACEHOLDER_MESSAGE: [UserMessage(text) for text in texts]}
        if self._wants_tracker:  # the processor gives a parse without a conversation an empty tracker
            outputs[PLACEHOLDER_TRACKER] = DialogueStateTracker.from_events(DEFAULT_SENDER_ID, [])
        for name in self._order:
            _, outputs[name] = self._nodes[name](*[(dep, outputs[dep]) for dep in self._needs[name]])
        messages = outputs[self._target]
        if len(messages) != len(texts):
            raise RuntimeError(f"the NLU graph returned {len(messages)} messages for {len(texts)} texts")
        return [self._parse_data(message) for message in messages]

    def _parse_data(self, message: Any) -> Dict[str, Any]:
        # As MessageProcessor._parse_message_with_graph and the rest of parse_message.
        parse_data: Dict[str, Any] = {
            TEXT: "", INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, ENTITIES: []}
        parse_data.update(message.as_dict(only_output_properties=True))
        self.processor._update_full_retrieval_intent(parse_data)
        self.processor._check_for_unseen_features(parse_data)
        return parse_data

    def parse_each(self, texts: Sequence[str]) -> List[Outcome]:
        """Like `parse`, but a text that breaks the graph gets its error and the others their parse."""
        try:
            return list(self.parse(texts))
        except Exception as error:  # noqa: BLE001 - isolated below, reported per text
            if len(texts) == 1:
                return [error]
            logger.warning(f"A pass of {len(texts)} messages failed ({error!r}); parsing them one by one.")
        outcomes: List[Outcome] = []
        for text in texts:
            try:
                outcomes.append(self.parse([text])[0])
            except Exception as error:  # noqa: BLE001 - this text's caller gets it
                outcomes.append(error)
        return outcomes


class MicroBatcher:
    """Texts queued while a pass runs are parsed together in the next pass.

    There is no waiting window: when nothing is running, a text starts a pass at
    once. A pass takes at most `max_pass` texts, so one long queue cannot make
    any request wait for more than a pass of that size plus the one running.
    With `threaded`, passes run in one worker thread, so the event loop keeps
    reading requests (and filling the next pass) while a pass runs; otherwise
    they run on the event loop, as Rasa's own parse does.
    """

    def __init__(self, max_pass: int = 64, threaded: bool = True) -> None:
        self.max_pass = max_pass
        self.threaded = threaded
        self._queue: Deque[Tuple[NluGraph, str, asyncio.Future]] = deque()
        self._wakeup: Optional[asyncio.Event] = None
        self._worker: Optional[asyncio.Task] = None
        self._executor: Optional[ThreadPoolExecutor] = None
        self.passes = 0  # counters, for tests and benchmarks
        self.parsed = 0

    async def parse(self, graph: NluGraph, texts: Sequence[str]) -> List[Dict[str, Any]]:
        """The parse of each text, in order; raises the first text's error if any failed."""
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in texts]
        self._queue.extend((graph, text, future) for text, future in zip(texts, futures))
        self._ensure_worker(loop).set()
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return list(outcomes)

    def _ensure_worker(self, loop: asyncio.AbstractEventLoop) -> asyncio.Event:
        if self._worker is None or self._worker.done() or self._worker.get_loop() is not loop:
            self._wakeup = asyncio.Event()
            self._worker = loop.create_task(self._work())
        assert self._wakeup is not None
        return self._wakeup

    async def _work(self) -> None:
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(self.max_pass, len(self._queue)))]
                batch = [item for item in batch if not item[2].done()]  # callers that went away
                if not batch:
                    continue
                if self.threaded:
                    if self._executor is None:
                        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlu-pass")
                    outcomes = await asyncio.get_running_loop().run_in_executor(self._executor, _run_pass, batch)
                else:
                    outcomes = _run_pass(batch)
                    await asyncio.sleep(0)  # let the requests that came in meanwhile queue up
                self.passes += 1
                self.parsed += len(batch)
                for (_, _, future), outcome in zip(batch, outcomes):
                    if future.done():
                        continue
                    if isinstance(outcome, Exception):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)


def _run_pass(batch: Sequence[Tuple[NluGraph, str, asyncio.Future]]) -> List[Outcome]:
    """One pass per model in the batch (normally one; two while a new model replaces the old)."""
    groups: Dict[int, Tuple[NluGraph, List[int]]] = {}
    for index, (graph, _, _) in enumerate(batch):
        groups.setdefault(id(graph), (graph, []))[1].append(index)
    outcomes: List[Optional[Outcome]] = [None] * len(batch)
    for graph, indices in groups.values():
        for index, outcome in zip(indices, graph.parse_each([batch[i][1] for i in indices])):
            outcomes[index] = outcome
    return outcomes  # type: ignore[return-value]
