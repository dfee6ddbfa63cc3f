"""WeChat Official Account at the HTTP boundary: requests signed (and, in safe mode, encrypted) exactly as WeChat
does, the customer-service API recorded by a local server standing in for api.weixin.qq.com, WeChat's published
sample values for the crypto, and the real Rasa for one turn per MsgId under four concurrent deliveries."""
from __future__ import annotations

import threading
import time
import uuid
from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import select

from hotline.cases.accounts import create_user
from hotline.cases.models import CaseEvent, Handoff, InboundMessage, OutboxMessage
from hotline.config import Settings
from hotline.conversations import inbox, outbox
from hotline.web import create_app
from integrations import wechat
from integrations.wechat_crypto import Refused, SafeMode, parse_xml, sign
from tests.integrations.conftest import ProviderServer, rasa_down_url
from tests.web.conftest import login

TOKEN = "hotline-wechat-token"
APPID = "wx1234567890abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OFFICIAL = "gh_0123456789ab"


class WeChatApi(ProviderServer):
    """api.weixin.qq.com: stable_token hands out one token; custom/send answers `errcode`."""

    def __init__(self, errcode: int = 0):
        self.errcode = errcode
        super().__init__(self.answer)

    def answer(self, recorded):
        if recorded["path"].startswith("/cgi-bin/stable_token"):
            return 200, {"access_token": "ACCESS_TOKEN_1", "expires_in": 7200}
        if recorded["path"].startswith("/cgi-bin/message/custom/send"):
            return 200, {"errcode": self.errcode, "errmsg": "ok" if not self.errcode else "response out of time limit"}
        return 404, {"errcode": 40066}

    def sent(self, openid=None):
        return [r.json["text"]["content"] for r in self.requests
                if r["path"].startswith("/cgi-bin/message/custom/send") and (openid is None or r.json["touser"] == openid)]

    def token_calls(self):
        return [r for r in self.requests if r["path"].startswith("/cgi-bin/stable_token")]


@pytest.fixture
def weixin():
    server = WeChatApi()
    yield server
    server.stop()


def wechat_settings(database_url, rasa_url, api, aes=False):
    return Settings(database_url=database_url, secret_key="test-secret", rasa_url=rasa_url, wechat_token=TOKEN,
                    wechat_appid=APPID, wechat_secret="app-secret", wechat_aes_key=AES_KEY if aes else None,
                    wechat_api_base=api.url)


@pytest.fixture
def app(db_url, weixin):
    return create_app(wechat_settings(db_url, rasa_down_url(), weixin, aes=True))


@pytest.fixture
def sessions(app):
    return app.extensions["hotline.sessions"]


def text_xml(content, openid="oOpenId_citizen1", msg_id=None, kind="text", extra=""):
    msg_id = msg_id or str(uuid.uuid4().int)[:19]
    body = f"<Content><![CDATA[{content}]]></Content>" if kind == "text" else extra
    return (f"<xml><ToUserName><![CDATA[{OFFICIAL}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>{body}"
            f"<MsgId>{msg_id}</MsgId></xml>")


def signed_query(timestamp=None, nonce="1320562132", **extra):
    timestamp = timestamp or str(int(time.time()))
    return {"signature": sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, **extra}


def post(client, xml, query=None):
    query = signed_query() if query is None else query
    return client.post(f"/integrations/wechat?{urlencode(query)}", data=xml.encode(),
                       content_type="text/xml")


def reply_content(response, aes_query=None):
    fields = parse_xml(response.get_data())
    if aes_query:
        mode = SafeMode(TOKEN, AES_KEY, APPID)
        fields = parse_xml(mode.decrypt(fields["Encrypt"], fields["MsgSignature"], fields["TimeStamp"],
                                        fields["Nonce"]))
    return fields


# --- WeChat's published sample values ------------------------------------------------------------------------
# From WeChat's message encryption guide (the sample its own SDKs test with): token 123456, this EncodingAESKey
# and app id; the same algorithm serves Official Accounts.
SAMPLE = SafeMode("123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a")
SAMPLE_ENCRYPTED = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6y"
    "dJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/T"
    "ywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5"
    "t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=")


def test_the_sample_request_decrypts_to_the_sample_message():
    plain = SAMPLE.decrypt(SAMPLE_ENCRYPTED, "74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "1411525903", "461056294")
    fields = parse_xml(plain)
    assert (fields["Content"], fields["FromUserName"], fields["MsgId"]) == ("test", "messense", "4363689963896700987")


def test_the_sample_reply_encrypts_to_the_sample_ciphertext_and_signature():
    reply = ("<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n"
             "<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n"
             "<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>")
    fields = SAMPLE.encrypt(reply, "1411525903", "461056294", random=b"1234567890123456")
    assert fields["Encrypt"].startswith("9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk")
    assert fields["Encrypt"].endswith("VRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3")
    assert fields["MsgSignature"] == "407518b7649e86ef23978113f92d27afa9296533"


def test_the_sample_signature_and_a_wrong_one():
    echo = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
    assert sign("123456", "1411443780", "437374425", echo) == "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96"
    with pytest.raises(Refused):
        SAMPLE.decrypt(SAMPLE_ENCRYPTED, "74d92dfeb87ba7c714f89d98870ae5eb62dff26e", "1411525903", "461056294")
    other_app = SafeMode("123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx0000000000000000")
    with pytest.raises(Refused):  # a message encrypted for another app
        other_app.decrypt(SAMPLE_ENCRYPTED, "74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "1411525903", "461056294")


# --- the webhook ---------------------------------------------------------------------------------------------


def test_server_verification_echoes_only_to_a_valid_signature(app):
    client = app.test_client()
    echo = "5935839473937239104"
    ok = client.get(f"/integrations/wechat?{urlencode(signed_query(echostr=echo))}")
    assert ok.status_code == 200 and ok.get_data() == echo.encode()
    wrong = {**signed_query(echostr=echo), "nonce": "other"}
    assert client.get(f"/integrations/wechat?{urlencode(wrong)}").status_code == 403
    assert client.get(f"/integrations/wechat?echostr={echo}").status_code == 403


def test_without_settings_the_channel_is_not_there(db_url):
    client = create_app(Settings(database_url=db_url, secret_key="x")).test_client()
    assert client.get(f"/integrations/wechat?{urlencode(signed_query(echostr='1'))}").status_code == 404
    assert post(client, text_xml("你好")).status_code == 404


@pytest.mark.parametrize("query", [
    {},
    {**signed_query(), "signature": "0" * 40},
    signed_query(timestamp=str(int(time.time()) - 3600)),  # a replay an hour later
])
def test_unsigned_wrong_or_stale_posts_are_refused_before_parsing(app, sessions, query):
    response = post(app.test_client(), text_xml("你好"), query=query)
    assert response.status_code == 403
    with sessions() as session:
        assert session.execute(select(InboundMessage)).first() is None


@pytest.mark.parametrize("xml", [
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">]><xml><Content>&a;</Content></xml>',
    '<!doctype xml SYSTEM "file:///etc/passwd"><xml/>',
    "<xml><Content>unterminated",
    "<notwechat/>",
])
def test_entities_doctypes_and_broken_xml_are_refused(app, sessions, xml):
    assert post(app.test_client(), xml).status_code == 400
    with sessions() as session:
        assert session.execute(select(InboundMessage)).first() is None


def test_danger_gets_the_110_guidance_as_the_passive_reply_while_rasa_is_down(app, sessions):
    response = post(app.test_client(), text_xml("他拿着刀说要杀了我", openid="oDanger"))
    fields = reply_content(response)
    assert "110" in fields["Content"] and fields["ToUserName"] == "oDanger" and fields["FromUserName"] == OFFICIAL
    with sessions() as session:
        assert session.execute(select(InboundMessage.status)).scalar_one() == "failed"  # kept for the job


def test_a_message_rasa_cannot_take_now_is_acknowledged_with_success(app):
    response = post(app.test_client(), text_xml("邻居家漏水"))
    assert response.get_data() == b"success"


def test_subscribe_is_welcomed_once_even_when_retried(app):
    created = int(time.time())
    xml = (f"<xml><ToUserName><![CDATA[{OFFICIAL}]]></ToUserName><FromUserName><![CDATA[oNewFan]]></FromUserName>"
           f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
           f"<Event><![CDATA[subscribe]]></Event></xml>")
    client = app.test_client()
    first = post(client, xml)
    assert "欢迎关注" in reply_content(first)["Content"]
    assert post(client, xml).get_data() == b"success"  # WeChat's retry: no second welcome


@pytest.mark.parametrize("extra, stored, answer", [
    ("<MediaId><![CDATA[m1]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[邻居天天吵]]></Recognition>",
     "邻居天天吵", None),
    ("<MediaId><![CDATA[m1]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[]]></Recognition>",
     "", inbox.NO_TEXT_REPLY),
])
def test_voice_uses_the_recognition_or_asks_for_text(app, sessions, extra, stored, answer):
    response = post(app.test_client(), text_xml(None, kind="voice", extra=extra))
    with sessions() as session:
        assert session.execute(select(InboundMessage.text)).scalar_one() == stored
    if answer:
        assert reply_content(response)["Content"] == answer


def test_an_image_gets_a_polite_chinese_answer(app):
    response = post(app.test_client(), text_xml(None, kind="image", extra="<PicUrl><![CDATA[http://x/y.jpg]]></PicUrl>"))
    assert reply_content(response)["Content"] == inbox.NO_TEXT_REPLY


def test_safe_mode_decrypts_the_request_and_encrypts_the_reply(app, sessions):
    mode = SafeMode(TOKEN, AES_KEY, APPID)
    timestamp, nonce = str(int(time.time())), "998877"
    encrypted = mode.encrypt(text_xml("他拿着菜刀在砸门", openid="oSafe"), timestamp, nonce)["Encrypt"]
    envelope = f"<xml><ToUserName><![CDATA[{OFFICIAL}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    query = signed_query(timestamp=timestamp, nonce=nonce, encrypt_type="aes",
                         msg_signature=sign(TOKEN, timestamp, nonce, encrypted), openid="oSafe")
    response = post(app.test_client(), envelope, query=query)
    assert b"<Encrypt>" in response.get_data() and "拨打".encode() not in response.get_data()
    assert "110" in reply_content(response, aes_query=True)["Content"]
    tampered = {**query, "msg_signature": "0" * 40}
    assert post(app.test_client(), envelope, query=tampered).status_code == 400


def test_out_of_the_48_hour_window_goes_to_a_person_and_is_not_retried(db_url, make_case):
    api = WeChatApi(errcode=45015)
    try:
        app = create_app(wechat_settings(db_url, rasa_down_url(), api))
        sessions = app.extensions["hotline.sessions"]
        with sessions.begin() as session:
            case = make_case(session, "楼上漏水", "neighbor", channel="wechat", sender_id="oLate")
            outbox.to_citizen(session, channel="wechat", recipient="oLate", text="调解员：明天上午来人", case=case,
                              author="mediator")
        config = app.config["HOTLINE_SETTINGS"]
        send = {"wechat": wechat.sender(config, sessions)}
        assert len(outbox.deliver_due(sessions, None, senders=send).gave_up) == 1
        assert outbox.deliver_due(sessions, None, senders=send).sent == []
        assert len(api.sent("oLate")) == 1
        with sessions() as session:
            notes = [e.note for e in session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id)).scalars()
                     if e.action == "delivery_failed"]
        assert len(notes) == 1 and "45015" in notes[0]
        # "Hands the case to a person": a call-back request and the queue's flag, no hand-off.
        client = app.test_client()
        with sessions.begin() as session:
            create_user(session, "zhang", "password-123", "mediator", "张调解")
        login(client, "zhang")
        page = client.get("/console").get_data(as_text=True)
        assert case.number in page and "消息未送达，请电话联系" in page and "要求回电" in page
        case_page = client.get(f"/console/cases/{case.number}").get_data(as_text=True)
        assert "消息未送达，请电话联系" in case_page and "明天上午来人" in case_page
        with sessions() as session:
            assert session.execute(select(Handoff)).first() is None
    finally:
        api.stop()


def test_one_access_token_is_shared_by_every_sender(app, sessions, weixin):
    with sessions.begin() as session:
        for n in range(3):
            outbox.to_citizen(session, channel="wechat", recipient=f"oUser{n}", text=f"消息{n}")
    config = app.config["HOTLINE_SETTINGS"]
    for _ in range(2):  # two workers, each with its own sender
        outbox.deliver_due(sessions, None, senders={"wechat": wechat.sender(config, sessions)})
    assert len(weixin.sent()) == 3 and len(weixin.token_calls()) == 1
    assert all("access_token=ACCESS_TOKEN_1" in r["path"] for r in weixin.requests if "custom/send" in r["path"])


# --- with the real Rasa and action server --------------------------------------------------------------------


def test_four_concurrent_deliveries_of_one_msgid_give_one_turn_and_one_reply(stack, weixin, monkeypatch):
    app = create_app(wechat_settings(stack.database_url, stack.rasa_url, weixin))
    openid = "oConcurrent" + uuid.uuid4().hex[:10]
    xml = text_xml("你好", openid=openid, msg_id=str(uuid.uuid4().int)[:19])
    query = signed_query()
    barrier = threading.Barrier(4)
    answers = []

    def deliver():
        barrier.wait()
        answers.append(post(app.test_client(), xml, query=query))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a.status_code == 200 for a in answers)
    passive = [reply_content(a)["Content"] for a in answers if a.get_data() != b"success"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (passive or weixin.sent(openid)):
        time.sleep(0.2)
    delivered = passive + weixin.sent(openid)
    assert len(delivered) == 1 and delivered[0].strip()
    tracker = requests.get(f"{stack.rasa_url}/conversations/{openid}/tracker", params={"token": stack.token},
                           timeout=10).json()
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == ["你好"]


def test_an_answer_not_ready_in_time_follows_through_the_customer_service_api(stack, weixin, monkeypatch):
    monkeypatch.setattr(wechat, "ANSWER_WITHIN", 0.0)  # as if the bot took longer than WeChat waits
    app = create_app(wechat_settings(stack.database_url, stack.rasa_url, weixin))
    openid = "oSlow" + uuid.uuid4().hex[:10]
    response = post(app.test_client(), text_xml("老板拖欠我三个月工资", openid=openid))
    assert response.get_data() == b"success"
    sessions = app.extensions["hotline.sessions"]

    def states():
        with sessions() as session:
            return {r.status for r in session.execute(select(OutboxMessage).where(OutboxMessage.recipient == openid))
                    .scalars()}

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and states() != {"sent"}:
        time.sleep(0.2)
    assert states() == {"sent"}
    assert any("工资" in text or "劳动" in text for text in weixin.sent(openid)), weixin.sent(openid)
    with sessions() as session:
        replies = session.execute(select(OutboxMessage.text).where(OutboxMessage.recipient == openid)
                                  .order_by(OutboxMessage.id)).scalars().all()
    assert weixin.sent(openid) == replies  # each once, in order
