"""The `hotline legal review` commands: list the FAQ's review states, show an answer, approve it or send it back."""
from __future__ import annotations

import click

STATE_NAMES = {"approved": "已审核", "returned": "已退回", "pending": "待审核"}


def _entries():
    from hotline.legal import load_faq

    return {entry.id: entry for entry in load_faq()}


def _entry(entries, entry_id: str):
    entry = entries.get(entry_id)
    if entry is None:
        raise click.ClickException(f"没有编号为 {entry_id} 的法律问答条目。用 hotline legal review list 查看全部条目。")
    return entry


def _sessions():
    from hotline.config import Settings
    from hotline.db import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(Settings.from_env().database_url))


def _account(session, username: str):
    from sqlalchemy import select

    from hotline.cases.models import User

    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise click.ClickException(f"没有账号 {username}。")
    return user


@click.group(help="法律问答知识库。")
def legal() -> None:
    pass


@legal.group(help="律师审核：查看、通过或退回法律问答条目。")
def review() -> None:
    pass


@review.command("list", help="列出条目及其审核状态。")
@click.option("--state", type=click.Choice(["pending", "returned", "approved"]), help="只列出这种状态的条目。")
def review_list(state) -> None:
    from hotline.legal.review import counts, states

    entries = _entries()
    with _sessions()() as session:
        found = states(session, entries.values())
    for item in found:
        if state and item.state != state:
            continue
        when = item.at.strftime("%Y-%m-%d") if item.at else ""
        detail = "\t".join(x for x in (item.reviewer, when, item.comment.replace("\n", " ")) if x)
        click.echo(f"{item.entry_id}\t{STATE_NAMES[item.state]}\t{entries[item.entry_id].title}"
                   + (f"\t{detail}" if detail else ""))
    total = counts(found)
    click.echo("共 {} 条：已审核 {}，已退回 {}，待审核 {}。".format(
        len(found), total["approved"], total["returned"], total["pending"]), err=True)


@review.command("show", help="按群众看到的样子显示一个条目的答案、依据的法律版本和审核记录。")
@click.argument("entry_id")
def review_show(entry_id: str) -> None:
    from hotline.legal import format_answer
    from hotline.legal.review import law_versions, state_of

    entry = _entry(_entries(), entry_id)
    with _sessions()() as session:
        item = state_of(session, entry)
    click.echo(f"【{entry.title}】（{entry.id}，{STATE_NAMES[item.state]}）")
    click.echo(format_answer(entry, entry.title, reviewed=item.state == "approved"))
    click.echo(f"\n所依据的法律版本：{law_versions(entry)}")
    if item.state != "pending":
        when = item.at.strftime("%Y-%m-%d %H:%M") if item.at else ""
        click.echo(f"审核：{item.reviewer} {when} {STATE_NAMES[item.state]}" + (f"，意见：{item.comment}" if item.comment else ""))


@review.command("approve", help="审核通过条目的当前文字（条目修改后需重新审核）。")
@click.argument("entry_id")
@click.option("--as", "username", required=True, help="审核人账号（管理员或律师）。")
@click.option("--comment", default="", help="审核意见（可不填）。")
def review_approve(entry_id: str, username: str, comment: str) -> None:
    from hotline.legal.review import ReviewError, approve

    entry = _entry(_entries(), entry_id)
    try:
        with _sessions().begin() as session:
            approve(session, entry, _account(session, username), comment)
    except ReviewError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"已审核通过：{entry.id}（{entry.title}）。")


@review.command("send-back", help="退回条目并写明需要修改的地方。")
@click.argument("entry_id")
@click.option("--as", "username", required=True, help="审核人账号（管理员或律师）。")
@click.option("--comment", required=True, help="需要修改的地方。")
def review_send_back(entry_id: str, username: str, comment: str) -> None:
    from hotline.legal.review import ReviewError, send_back

    entry = _entry(_entries(), entry_id)
    try:
        with _sessions().begin() as session:
            send_back(session, entry, _account(session, username), comment)
    except ReviewError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"已退回：{entry.id}（{entry.title}），意见已记录。")
