"""Phone calls through Twilio, in Mandarin: speech in through <Gather>, the inbox's answers out through <Say>.

- Speech is recognised as Mandarin (`cmn-Hans-CN`, Twilio's code for
  Chinese, Mandarin, Simplified) and spoken with a Mandarin voice
  (Amazon Polly's Zhiyu, `cmn-CN`); prompts are short.
- Each utterance is one inbox message, keyed by CallSid and turn, so a
  Twilio retry of the same turn is one bot turn.
- Danger (by rule, before the bot) gets the 110 guidance at once, twice,
  and the call ends so the caller can dial 110.
- A conversation a person holds (hand-off) is transferred: <Dial> to the
  duty number from DUTY_PHONE (一键转接); without one the caller is told
  we will call back.
- Silence twice: the caller is offered a call-back (press 1). Pressing 1
  is stored as the conversation's message and opens a case for the caller
  (or marks their open one) as a call-back request in the mediators' queue,
  with the calling number as the consented contact
  (hotline.conversations.handoff.callback_from_call).
"""
from __future__ import annotations

import re
from typing import List

from flask import Blueprint, request
from twilio.twiml.voice_response import VoiceResponse

from hotline.conversations import handoff as handoffs
from hotline.conversations import inbox, wording
from hotline.conversations.safety import EMERGENCY
from hotline.web.delivery import deliver_case, rasa_client
from hotline.web.extensions import db
from hotline.web.errors import json_error
from integrations.twilio_sms import E164, signed_request, twiml

bp = Blueprint("twilio_voice", __name__, url_prefix="/integrations/twilio/voice")

CHANNEL = "voice"
LANGUAGE = "cmn-Hans-CN"  # <Gather> speech recognition
VOICE, SAY_LANGUAGE = "Polly.Zhiyu", "cmn-CN"  # <Say>
CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
MAX_TURNS = 40
GREETING = "您好，这里是矛盾纠纷调解热线。请简单说说您遇到的事情。如有危险，请挂断后立即拨打110。"
AGAIN = "抱歉，我没有听清，请再说一遍。"
OFFER_CALLBACK = "您好像没有说话。如果需要我们给您回电，请按1；不需要请直接挂机。"
CALLBACK_TAKEN = "好的，我们会尽快按您的来电号码给您回电。再见。"
GOODBYE = "感谢您的来电，再见。"
TRANSFER = "正在为您转接工作人员，请稍候。"
NO_DUTY = "现在没有工作人员可以接听，我们已记录您的情况，会尽快给您回电。再见。"
BUSY = "系统繁忙，您说的话已经记录下来，我们会尽快给您回电。再见。"



def _say(response, text: str) -> None:
    response.say(text, voice=VOICE, language=SAY_LANGUAGE)


def _listen(response: VoiceResponse, prompt: str, turn: int, silent: int = 0) -> VoiceResponse:
    gather = response.gather(input="speech", language=LANGUAGE, speech_timeout="auto", timeout=6,
                             action=f"{bp.url_prefix}/gather?turn={turn}", method="POST")
    gather.say(prompt, voice=VOICE, language=SAY_LANGUAGE)
    response.redirect(f"{bp.url_prefix}/silence?turn={turn}&silent={silent + 1}", method="POST")
    return response


def _checked():
    config, refused = signed_request("twilio_voice")
    if refused is not None:
        return config, refused
    if not CALL_SID.match(request.form.get("CallSid", "")) or not E164.match(request.form.get("From", "")):
        return config, json_error(400, "invalid_call", "来电参数不对。")
    return config, None


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name, "")
    return min(int(value), 1000) if value.isdigit() else default


@bp.post("")
def incoming():
    _, refused = _checked()
    if refused is not None:
        return refused
    return twiml(str(_listen(VoiceResponse(), GREETING, turn=1)))


@bp.post("/gather")
def gathered():
    config, refused = _checked()
    if refused is not None:
        return refused
    turn = _int_arg("turn", 1)
    speech = (request.form.get("SpeechResult") or "").strip()
    if not speech:
        return twiml(str(_listen(VoiceResponse(), AGAIN, turn, silent=1)))
    caller, call = request.form["From"], request.form["CallSid"]
    session = db()
    received = inbox.receive(session, CHANNEL, f"{call}:{turn}", caller, speech)
    if inbox.danger_by_rule(received.message.text or speech):
        response = VoiceResponse()
        _say(response, wording.text(EMERGENCY))
        _say(response, wording.text(EMERGENCY))
        response.hangup()
        # Said before the bot is asked: stored, and the bot's turn (which raises the case) is the job's.
        return twiml(str(response))
    outcome = inbox.process(session, rasa_client(), received.message)
    inbox.mark_sent(session, outcome.replies)
    session.commit()
    response = VoiceResponse()
    if outcome.state == "queued":
        _say(response, BUSY)
        response.hangup()
        return twiml(str(response))
    texts: List[str] = [r.text for r in outcome.replies if r.text]
    for text in texts[:-1]:
        _say(response, text)
    if handoffs.open_for(session, CHANNEL, caller) is not None:
        for text in texts[-1:]:
            _say(response, text)
        if config.duty_phone:
            _say(response, TRANSFER)
            response.dial(config.duty_phone, caller_id=config.twilio_number, timeout=30)
        else:
            _say(response, NO_DUTY)
            response.hangup()
        return twiml(str(response))
    if turn >= MAX_TURNS:
        _say(response, GOODBYE)
        response.hangup()
        return twiml(str(response))
    return twiml(str(_listen(response, texts[-1] if texts else AGAIN, turn + 1)))


@bp.post("/silence")
def silence():
    _, refused = _checked()
    if refused is not None:
        return refused
    turn, silent = _int_arg("turn", 1), _int_arg("silent", 1)
    if silent < 2:
        return twiml(str(_listen(VoiceResponse(), AGAIN, turn, silent=silent)))
    response = VoiceResponse()
    gather = response.gather(input="dtmf", num_digits=1, timeout=8, action=f"{bp.url_prefix}/callback",
                             method="POST")
    gather.say(OFFER_CALLBACK, voice=VOICE, language=SAY_LANGUAGE)
    _say(response, GOODBYE)
    response.hangup()
    return twiml(str(response))


@bp.post("/callback")
def callback():
    config, refused = _checked()
    if refused is not None:
        return refused
    response = VoiceResponse()
    if request.form.get("Digits") != "1":
        _say(response, GOODBYE)
        response.hangup()
        return twiml(str(response))
    session = db()
    caller, call = request.form["From"], request.form["CallSid"]
    received = inbox.receive(session, CHANNEL, f"{call}:callback", caller, None, {"type": inbox.CALLBACK_REQUEST})
    if inbox.take(session, received.message):
        # Nothing for the bot to answer: a person calls back (the queue shows the request).
        case = handoffs.callback_from_call(session, caller=caller, call_id=call,
                                           deadline_hours=config.deadline_hours)
        session.commit()
        deliver_case(case)
    _say(response, CALLBACK_TAKEN)
    response.hangup()
    return twiml(str(response))
