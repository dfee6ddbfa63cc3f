"""The chat page in Debian's Chromium, driven by Playwright, on a phone-sized screen."""
from __future__ import annotations

import re
import shutil

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield instance
        instance.close()


def test_citizen_reports_wage_arrears_on_a_phone(browser, stack, tmp_path):
    page = browser.new_page(viewport={"width": 390, "height": 780}, device_scale_factor=1)
    page.goto(f"{stack.web_url}/chat")
    assert "矛盾纠纷调解热线" in page.title() or "矛盾纠纷调解热线" in page.content()
    page.fill("#chat-input", "老板拖欠我们三个月工资了，一共三万多")
    page.click("#chat-send")
    page.wait_for_selector(".msg-user .msg-text:has-text('三万多')")
    page.wait_for_selector(".msg-bot .msg-text:has-text('劳动争议')", timeout=60000)
    # Another employer in another town than the e2e report, so the two are not one collective dispute.
    page.fill("#chat-input", "石桥镇石桥村")
    page.press("#chat-input", "Enter")
    page.wait_for_selector(".msg-bot .msg-text:has-text('哪家单位')", timeout=60000)
    page.fill("#chat-input", "恒达劳务公司")
    page.press("#chat-input", "Enter")
    page.wait_for_selector(".msg-bot .msg-text:has-text('多少人')", timeout=60000)
    page.fill("#chat-input", "二十多个")
    page.press("#chat-input", "Enter")
    page.wait_for_selector(".quick-reply:has-text('同意')", timeout=60000)
    page.click(".quick-reply:has-text('同意')")
    page.wait_for_selector(".msg-bot .msg-text:has-text('电话号码')", timeout=60000)
    page.fill("#chat-input", "13812345678")
    page.click("#chat-send")
    # The read-back: the citizen checks it and confirms with the button.
    page.wait_for_selector(".msg-bot .msg-text:has-text('请核对')", timeout=60000)
    assert page.locator(".msg-bot .msg-text:has-text('138****5678')").count() == 1
    page.click(".quick-reply:has-text('对，登记吧')")
    page.wait_for_selector(".msg-bot .msg-text:has-text('案件编号')", timeout=60000)
    # The bubble fits the screen: nothing scrolls sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "chat-phone.png"), full_page=True)
    page.close()


def test_a_mediator_takes_over_in_the_console_and_the_citizen_sees_it(browser, stack):
    from tests.e2e.test_spine import _add_user

    _add_user(stack, "browser-wu", "s3cret-pass-3")
    citizen = browser.new_page(viewport={"width": 390, "height": 780})
    citizen.goto(f"{stack.web_url}/chat")
    citizen.fill("#chat-input", "转人工")
    citizen.click("#chat-send")
    notice = citizen.wait_for_selector(".msg-bot .msg-text:has-text('转接人工')", timeout=60000).inner_text()
    number = re.search(r"JF\d{14}", notice).group()

    console = browser.new_page(viewport={"width": 1280, "height": 900})
    console.goto(f"{stack.web_url}/console/login")
    console.fill("input[name=username]", "browser-wu")
    console.fill("input[name=password]", "s3cret-pass-3")
    console.click("button[type=submit]")
    console.wait_for_selector("text=在线等待人工")
    console.click(f"section.waiting a:has-text('{number}')")
    console.click("button:has-text('接入对话')")
    console.wait_for_selector("text=人工对话中")
    console.fill("#reply-text", "您好，我是吴调解，请讲。")
    console.click("#reply-form button")
    console.wait_for_selector("#reply-status:has-text('已发送')")

    # The reply arrives in the citizen's chat as the mediator's bubble (the page polls).
    citizen.wait_for_selector(".msg-mediator .msg-text:has-text('我是吴调解')", timeout=30000)
    citizen.fill("#chat-input", "我家门口的垃圾堆了一个月没人管")
    citizen.click("#chat-send")
    # ... and the citizen's answer shows up on the case page without reloading it.
    console.wait_for_selector("#transcript li.from-citizen:has-text('垃圾堆了一个月')", timeout=30000)
    assert citizen.locator(".msg-bot .msg-text:has-text('12345')").count() == 0  # the bot stayed silent

    console.click("button:has-text('交还机器人')")
    citizen.wait_for_selector(".msg-bot .msg-text:has-text('继续为您服务')", timeout=60000)
    citizen.close()
    console.close()


def test_the_page_cannot_see_or_choose_its_conversation_and_a_stranger_reads_nothing(browser, stack):
    citizen_context = browser.new_context(viewport={"width": 390, "height": 780})
    citizen = citizen_context.new_page()
    citizen.goto(f"{stack.web_url}/chat")
    citizen.fill("#chat-input", "你好")
    citizen.click("#chat-send")
    citizen.wait_for_selector(".msg-bot >> nth=1", timeout=60000)  # the greeting, then the bot's answer
    cookies = {c["name"]: c for c in citizen_context.cookies()}
    assert cookies["hotline_chat"]["httpOnly"] is True
    assert "hotline_chat" not in citizen.evaluate("document.cookie")  # scripts on the page cannot read it
    assert citizen.evaluate("window.localStorage.getItem('hotline.sender_id')") is None

    stranger_context = browser.new_context()
    stranger = stranger_context.new_page()
    stranger.goto(f"{stack.web_url}/chat")
    # Whatever conversation a stranger names, the server answers from the stranger's own cookie.
    seen = stranger.evaluate("""async () => {
        const r = await fetch('/chat/api/messages?after=0&sender_id=a', {credentials: 'same-origin'});
        return [r.status, (await r.json()).messages.length];
    }""")
    assert seen == [200, 0]
    citizen_context.close()
    stranger_context.close()


def test_a_danger_reply_stands_out_and_110_is_a_tap_to_call_link(browser, stack):
    from hotline.conversations.safety import EMERGENCY_TEXT, FOLLOWUP_TEXT, WAITING_TEXT

    page = browser.new_page(viewport={"width": 390, "height": 780}, device_scale_factor=1)
    page.goto(f"{stack.web_url}/chat")
    # The page's welcome mentions 110 too, but it is no danger reply.
    assert page.locator(".msg-danger").count() == 0
    assert page.locator(".msg-bot a.tel-link[href='tel:110']").count() == 1
    page.fill("#chat-input", "有人拿着刀在砸我家门 说要砍死我")
    page.click("#chat-send")
    page.wait_for_selector(".msg-danger .msg-text:has-text('立即拨打110')", timeout=60000)
    danger = page.locator(".msg-danger").first
    assert danger.get_attribute("role") == "alert"
    assert danger.locator("a.tel-link.tel-emergency[href='tel:110']").count() >= 1
    normal_bg = page.evaluate("getComputedStyle(document.querySelector('.msg-bot:not(.msg-danger) .msg-bubble'))"
                              ".backgroundColor")
    danger_bg = page.evaluate("getComputedStyle(document.querySelector('.msg-danger .msg-bubble')).backgroundColor")
    assert normal_bg != danger_bg
    # Every danger text the server sends opens with a marker the page recognises.
    for text in (EMERGENCY_TEXT, FOLLOWUP_TEXT, WAITING_TEXT):
        assert page.evaluate("(t) => /^(您现在可能有危险|请先顾好自己的安全|值班工作人员马上接入)/.test(t)", text)
    # A case number holding 110 is not turned into a phone link.
    assert page.locator("a.tel-link:has-text('JF')").count() == 0
    page.close()
