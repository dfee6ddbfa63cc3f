"""The operator seat, the mediator's workbench and the dashboard in Debian's Chromium, on the real stack.

Screenshots go to tests/browser/artifacts/ (gitignored), at 1366 wide and at phone width.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from hotline.triage import DISPUTE_TYPES

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ARTIFACTS = Path(__file__).parent / "artifacts"
WIDE, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"])
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def people(stack):
    from tests.e2e.test_spine import _add_user

    for name, role in [("pw-operator", "operator"), ("pw-lawyer", "lawyer"), ("pw-mediator", "mediator"),
                       ("pw-viewer", "viewer")]:
        _add_user(stack, name, "s3cret-pass-9", role)
    return "s3cret-pass-9"


def open_page(browser, viewport):
    page = browser.new_page(viewport=viewport)
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def sign_in(page, stack, username, password, path="/console/login"):
    page.goto(f"{stack.web_url}{path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.login button[type=submit]")


def no_sideways_scroll(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    widest = page.evaluate("Math.max(...Array.from(document.querySelectorAll('body *'))"
                           ".map(e => e.getBoundingClientRect().right))")
    assert widest <= width + 1, f"an element reaches {widest}px on a {width}px screen"


def test_operator_transfers_to_12348_and_the_12348_seat_sees_it(browser, stack, people):
    operator = open_page(browser, WIDE)
    sign_in(operator, stack, "pw-operator", people)
    operator.wait_for_selector("#caller-text")  # an operator lands on the seat
    operator.type("#caller-text", "公司不跟我签劳动合同，还说要辞退我，他拿着刀威胁我", delay=15)
    # The triage comes from the real model through the parse endpoint, and the trigger words are marked.
    operator.wait_for_selector("#triage-state:text-is('已更新')", timeout=60000)
    operator.wait_for_selector("mark.trigger:has-text('拿着刀')")
    assert "红色预警" in operator.inner_text("#t-warning")
    assert "110公安机关" in operator.inner_text("#t-route")
    # The top three dispute types, in Chinese, each with its confidence.
    ranks = operator.locator("#t-types .rank")
    assert ranks.count() == 3
    names = ranks.locator(".rank-name").all_inner_texts()
    assert len(set(names)) == 3 and set(names) <= set(DISPUTE_TYPES.values()), names
    assert all(v.endswith("%") for v in ranks.locator(".rank-value").all_inner_texts())
    operator.fill("#seat-note", "来电人想咨询双倍工资，已提醒注意安全")
    operator.screenshot(path=str(ARTIFACTS / "operator-seat-1366.png"), full_page=True)
    operator.keyboard.press("Alt+3")  # 转12348
    operator.wait_for_selector("#seat-status:has-text('已转12348')")

    lawyer = open_page(browser, PHONE)
    sign_in(lawyer, stack, "pw-lawyer", people)
    order = lawyer.wait_for_selector("#inbox li.order.sent:has-text('劳动合同')", timeout=15000)
    assert "12345政务服务热线 转来" in order.inner_text() and "已提醒注意安全" in order.inner_text()
    order.query_selector("button:has-text('接单')").click()
    lawyer.wait_for_selector("#seat-status:has-text('已接单')")
    assert "劳动合同" in lawyer.input_value("#caller-text")
    lawyer.wait_for_selector("#triage-state:text-is('已更新')", timeout=60000)
    no_sideways_scroll(lawyer, PHONE["width"])
    lawyer.screenshot(path=str(ARTIFACTS / "lawyer-seat-phone.png"), full_page=True)
    assert operator.errors == [] and lawyer.errors == []
    operator.close()
    lawyer.close()


def test_a_mediator_claims_replies_and_resolves_with_an_agreement(browser, stack, people):
    citizen = open_page(browser, PHONE)
    citizen.goto(f"{stack.web_url}/chat")
    citizen.fill("#chat-input", "转人工")
    citizen.click("#chat-send")
    notice = citizen.wait_for_selector(".msg-bot .msg-text:has-text('转接人工')", timeout=60000).inner_text()
    number = re.search(r"JF\d{14}", notice).group()

    mediator = open_page(browser, WIDE)
    sign_in(mediator, stack, "pw-mediator", people, path=f"/console/login?next=/console/cases/{number}")
    mediator.wait_for_selector(f"h1:has-text('{number}')")  # the login kept the page asked for
    mediator.click("button:has-text('认领本案')")
    mediator.wait_for_selector(".flash:has-text('已认领')")
    assert "核实立案" in mediator.inner_text(".steps li.done >> nth=1")
    # The agreement is half typed when the first reply takes the conversation over: the page's own poll sees
    # the hand-off change, and must not reload the page under the mediator's hands.
    mediator.select_option("select[name=outcome]", "success")
    mediator.fill("textarea[name=agreement]", "双方同意：楼上住户三日内修好漏水管道，并赔偿八百元。")
    mediator.fill("#reply-text", "您好，我是调解员，请说说您的情况。")
    mediator.click("#reply-form button")
    mediator.wait_for_selector("#reply-status:has-text('已发送')")
    citizen.wait_for_selector(".msg-mediator .msg-text:has-text('我是调解员')", timeout=30000)
    mediator.wait_for_selector("#handoff-changed", timeout=15000)
    assert "八百元" in mediator.input_value("textarea[name=agreement]")
    assert mediator.locator(".flash:has-text('已认领')").count() == 1  # still the page the claim led to
    mediator.click("button:has-text('办结')")
    mediator.wait_for_selector(".flash:has-text('已办结')")
    assert "赔偿八百元" in mediator.inner_text(".agreement")
    no_sideways_scroll(mediator, WIDE["width"])
    mediator.screenshot(path=str(ARTIFACTS / "case-resolved-1366.png"), full_page=True)
    mediator.set_viewport_size(PHONE)
    mediator.reload()
    no_sideways_scroll(mediator, PHONE["width"])
    mediator.screenshot(path=str(ARTIFACTS / "case-resolved-phone.png"), full_page=True)
    mediator.goto(f"{stack.web_url}/console")
    no_sideways_scroll(mediator, PHONE["width"])
    mediator.screenshot(path=str(ARTIFACTS / "queue-phone.png"), full_page=True)
    assert mediator.errors == []
    citizen.close()
    mediator.close()


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1366", "phone"])
def test_the_dashboard_draws_every_chart_without_errors(browser, stack, people, viewport):
    page = open_page(browser, viewport)
    sign_in(page, stack, "pw-viewer", people)
    page.wait_for_selector("body[data-dashboard=ready]", timeout=30000)  # a viewer lands on the dashboard
    charts = page.locator(".chart")
    assert charts.count() == 8
    for i in range(charts.count()):
        assert charts.nth(i).locator("canvas").count() == 1, charts.nth(i).get_attribute("id")
    assert page.inner_text("#kpi-total").endswith("件")
    no_sideways_scroll(page, viewport["width"])
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{viewport['width']}.png"), full_page=True)
    page.goto(f"{stack.web_url}/dashboard/report?period=month")
    page.wait_for_selector(".chart canvas")
    assert page.locator(".chart canvas").count() == 4 and "矛盾纠纷月研判报告" in page.inner_text("h1")
    assert page.errors == []
    page.close()


def test_a_viewer_cannot_reach_a_mediators_action(browser, stack, people):
    citizen = open_page(browser, PHONE)
    citizen.goto(f"{stack.web_url}/chat")
    citizen.fill("#chat-input", "转人工")
    citizen.click("#chat-send")
    notice = citizen.wait_for_selector(".msg-bot .msg-text:has-text('转接人工')", timeout=60000).inner_text()
    number = re.search(r"JF\d{14}", notice).group()
    citizen.close()

    page = open_page(browser, WIDE)
    sign_in(page, stack, "pw-viewer", people)
    page.wait_for_selector("body[data-dashboard=ready]", timeout=30000)
    page.goto(f"{stack.web_url}/console")
    assert number in page.inner_text("main") and page.locator("button:has-text('认领')").count() == 0
    page.click(f"a:has-text('{number}')")
    page.wait_for_selector(".case-grid")
    assert page.locator("button:has-text('认领本案')").count() == 0
    assert page.locator("#reply-form").count() == 0
    assert "办理操作由调解员进行" in page.inner_text("main")
    # Even a hand-made request, with the viewer's own form token, is refused by role, with the Chinese page.
    status = page.evaluate(
        """async (n) => (await fetch('/console/cases/' + n + '/claim', {method: 'POST', body: new FormData(),
            headers: {'X-CSRF-Token': document.querySelector('meta[name="csrf-token"]').content}})).status""",
        number)
    assert status == 403
    page.goto(f"{stack.web_url}/operator")
    assert "没有权限" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "viewer-403-1366.png"), full_page=True)
    page.close()
