"""The parse endpoint's core without HTTP: the NLU graph on the real model, the micro-batcher, the token."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from types import SimpleNamespace

import pytest

from bot.channels.batching import ExclusiveGraphRunner, MicroBatcher, NluGraph
from bot.channels.nlu import NluParseChannel, rasa_auth_token

VARIED = [
    "老板拖欠我们三个月工资了，一共三万多",
    "他拿着菜刀在砸我家门，快来人啊",
    "/greet",
    '/report_dispute{"dispute_type": "labor"}',
    "",
    "   ",
    "😭😭老板跑路了工资没发🙏",
    "hello, can you help me?",
    "我的电话是13812345678",
    "楼上天天半夜拖椅子吵得睡不着，" * 60,
    "你好",
]


def canonical(parse: dict) -> str:
    return json.dumps(parse, sort_keys=True, ensure_ascii=False)


# --- the graph, on the trained model -------------------------------------------------


@pytest.fixture(scope="module")
def local(local_parser):
    return local_parser


@pytest.fixture(scope="module")
def graph(local):
    found = NluGraph.of(local.processor)
    assert found is not None, "the project's model must be runnable node by node"
    return found


def test_nodes_in_topological_order_ending_with_the_nlu_target(graph, local):
    schema = local.processor.model_metadata.predict_schema
    order = graph.node_names
    assert order[-1] == local.processor.model_metadata.nlu_target
    assert "nlu_message_converter" in order
    for position, name in enumerate(order):
        for dependency in schema.nodes[name].needs.values():
            if dependency in schema.nodes:
                assert order.index(dependency) < position, (name, dependency)
    assert not any(name.startswith(("run_TEDPolicy", "run_RulePolicy", "select_prediction")) for name in order)


def test_one_by_one_and_batched_parses_equal_rasas_own(graph, local):
    expected = [canonical(local.parse(text)) for text in VARIED]
    assert [canonical(graph.parse([text])[0]) for text in VARIED] == expected
    assert [canonical(parse) for parse in graph.parse(VARIED)] == expected
    assert [canonical(parse) for parse in graph.parse(VARIED[::-1])] == expected[::-1]


def test_outputs_keep_the_custom_records(graph):
    (parse,) = graph.parse(["老板拖欠我们三个月工资了，一共三万多"])
    assert {"text", "intent", "entities", "intent_ranking", "dispute_type", "triage"} <= set(parse)
    assert parse["dispute_type"]["code"] == "labor"
    (greet,) = graph.parse(["/greet"])
    assert greet["intent"] == {"name": "greet", "confidence": 1.0}


def test_a_pass_and_rasas_own_graph_runs_never_overlap(graph, local):
    runner = local.processor.graph_runner
    assert isinstance(runner, ExclusiveGraphRunner)
    finished = threading.Event()

    def conversation_turn():
        local.processor.graph_runner.run(inputs={"__message__": []},
                                         targets=[local.processor.model_metadata.nlu_target])
        finished.set()

    with graph._lock:  # as while a pass runs in the worker thread
        worker = threading.Thread(target=conversation_turn)
        worker.start()
        assert not finished.wait(0.3)
    assert finished.wait(10)
    worker.join()


def test_models_it_cannot_run_node_by_node_are_left_to_the_processor():
    assert NluGraph.of(SimpleNamespace(http_interpreter=object())) is None
    no_nodes = SimpleNamespace(http_interpreter=None, model_metadata=SimpleNamespace(nlu_target="x"),
                               graph_runner=object())
    assert NluGraph.of(no_nodes) is None


# --- the micro-batcher, with a stand-in graph ----------------------------------------


class SlowGraph:
    """Records the texts of every pass; a pass takes `seconds`; "boom" breaks its own text only."""

    def __init__(self, seconds: float = 0.1) -> None:
        self.seconds = seconds
        self.passes = []

    def parse_each(self, texts):
        self.passes.append(list(texts))
        time.sleep(self.seconds)
        return [ValueError(f"cannot parse {t}") if t == "boom" else {"text": t, "pass": len(self.passes)}
                for t in texts]


@pytest.mark.parametrize("threaded", [True, False])
def test_a_lone_request_goes_at_once(threaded):
    graph, batcher = SlowGraph(0.0), MicroBatcher(threaded=threaded)

    async def scenario():
        started = time.perf_counter()
        result = await batcher.parse(graph, ["你好"])
        return result, time.perf_counter() - started

    result, elapsed = asyncio.run(scenario())
    assert result == [{"text": "你好", "pass": 1}]
    assert graph.passes == [["你好"]] and elapsed < 0.5


def test_requests_arriving_during_a_pass_share_the_next_one_in_order():
    graph, batcher = SlowGraph(0.2), MicroBatcher()

    async def scenario():
        first = asyncio.ensure_future(batcher.parse(graph, ["first"]))
        await asyncio.sleep(0.05)  # the first pass is running in the worker thread now
        later = [asyncio.ensure_future(batcher.parse(graph, [f"t{i}"])) for i in range(9)]
        batch = asyncio.ensure_future(batcher.parse(graph, ["b1", "b2", "b3"]))
        return await first, [await f for f in later], await batch

    first, later, batch = asyncio.run(scenario())
    assert graph.passes == [["first"], [f"t{i}" for i in range(9)] + ["b1", "b2", "b3"]]
    assert first == [{"text": "first", "pass": 1}]
    assert later == [[{"text": f"t{i}", "pass": 2}] for i in range(9)]
    assert [r["text"] for r in batch] == ["b1", "b2", "b3"]
    assert (batcher.passes, batcher.parsed) == (2, 13)


def test_a_pass_takes_at_most_max_pass_texts():
    graph, batcher = SlowGraph(0.05), MicroBatcher(max_pass=4)

    async def scenario():
        return await asyncio.gather(*(batcher.parse(graph, [f"t{i}"]) for i in range(10)))

    results = asyncio.run(scenario())
    assert [len(p) for p in graph.passes] == [4, 4, 2]
    assert [r[0]["text"] for r in results] == [f"t{i}" for i in range(10)]


def test_a_text_that_fails_fails_only_its_own_request():
    graph, batcher = SlowGraph(0.05), MicroBatcher()

    async def scenario():
        return await asyncio.gather(batcher.parse(graph, ["ok1"]), batcher.parse(graph, ["boom"]),
                                    batcher.parse(graph, ["ok2", "boom"]), batcher.parse(graph, ["ok3"]),
                                    return_exceptions=True)

    ok1, boom, mixed, ok3 = asyncio.run(scenario())
    assert ok1 == [{"text": "ok1", "pass": 1}] and ok3[0]["text"] == "ok3"
    assert isinstance(boom, ValueError) and isinstance(mixed, ValueError)


def test_a_caller_that_went_away_is_not_parsed():
    graph, batcher = SlowGraph(0.2), MicroBatcher()

    async def scenario():
        first = asyncio.ensure_future(batcher.parse(graph, ["first"]))
        await asyncio.sleep(0.05)
        gone = asyncio.ensure_future(batcher.parse(graph, ["gone"]))
        kept = asyncio.ensure_future(batcher.parse(graph, ["kept"]))
        await asyncio.sleep(0)
        gone.cancel()
        return await first, await kept

    asyncio.run(scenario())
    assert graph.passes == [["first"], ["kept"]]


# --- the token and the credentials ---------------------------------------------------


@pytest.mark.parametrize("argv, environ, expected", [
    (["run", "--enable-api", "--auth-token", "abc", "--port", "5005"], {}, "abc"),
    (["run", "-t", "short"], {}, "short"),
    (["run", "--auth-token=joined", "--model", "models/current.tar.gz"], {}, "joined"),
    (["run", "--auth-token", "flag"], {"RASA_TOKEN": "env"}, "flag"),
    (["run", "--enable-api"], {"RASA_TOKEN": "env"}, "env"),
    (["run", "--enable-api"], {}, None),
    (["run", "--enable-api"], {"RASA_TOKEN": ""}, None),
])
def test_token_is_rasas_own_then_rasa_token(argv, environ, expected):
    assert rasa_auth_token(argv, environ) == expected


def test_credentials_options(monkeypatch):
    monkeypatch.setenv("RASA_TOKEN", "t" * 40)  # without a token the channel refuses to start (outside development)
    channel = NluParseChannel.from_credentials({"max_text_length": 10, "max_batch": 3})
    assert (channel.max_text_length, channel.max_batch, channel.batcher.max_pass) == (10, 3, 3)
    assert NluParseChannel.from_credentials(None).max_batch == 64
    with pytest.raises(ValueError, match="max_texts"):
        NluParseChannel.from_credentials({"max_texts": 3})
