"""The `hotline` command: serve, db, user, classify, evaluate, train, demo, token, orgs, jobs, rollup, purge, legal."""
from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import IO, Iterator, Optional, Tuple

import click

from hotline.cases.accounts import ROLES
from hotline.config import PROJECT_ROOT, Settings

EXIT_SKIPPED = 3


NOT_MIGRATED = "数据库尚未建立或不是最新结构（{url}）：请先运行 make db（或 .venv/bin/hotline db upgrade）。"


def require_migrated(database_url: str) -> None:
    """One clear line instead of a raw SQL error when the database is missing or behind the code."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import SQLAlchemyError

    from hotline.db import make_engine

    heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        raise click.ClickException(NOT_MIGRATED.format(url=_redacted(database_url)) + f" ({error.__class__.__name__})")
    finally:
        engine.dispose()
    if current != heads:
        raise click.ClickException(NOT_MIGRATED.format(url=_redacted(database_url)))


def _sessions(settings: Settings):
    from hotline.db import make_engine, make_sessionmaker

    require_migrated(settings.database_url)
    return make_sessionmaker(make_engine(settings.database_url), settings)


@click.group(help="矛盾纠纷调解热线：服务、数据库、账号与批量分诊。")
def main() -> None:
    pass


@main.command(help="启动 Web 服务（群众聊天页、调解工作台、API）。")
@click.option("--host", default=lambda: os.environ.get("WEB_HOST", "127.0.0.1"), show_default="127.0.0.1")
@click.option("--port", type=int, default=lambda: int(os.environ.get("WEB_PORT", 8000)), show_default="8000")
@click.option("--threads", type=int, default=8, show_default=True)
def serve(host: str, port: int, threads: int) -> None:
    from waitress import serve as waitress_serve

    from hotline.privacy import mask_logs
    from hotline.web import create_app

    require_migrated(Settings.from_env().database_url)
    app = create_app()
    mask_logs()
    click.echo(f"hotline web: http://{host}:{port}/chat  http://{host}:{port}/console", err=True)
    # Behind a reverse proxy every request comes from the proxy: trust its X-Forwarded-For (and only its) so
    # the per-address limits and the look-up limit see the citizen's address.
    proxy = os.environ.get("TRUSTED_PROXY") or None
    forwarded = {"trusted_proxy": proxy, "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
                 "clear_untrusted_proxy_headers": True} if proxy else {}
    waitress_serve(app, host=host, port=port, threads=threads, ident="hotline", **forwarded)


@main.group(help="数据库。")
def db() -> None:
    pass


def alembic_config(database_url: Optional[str] = None):
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url or Settings.from_env().database_url
    config.attributes["configure_logging"] = False
    return config


@db.command(help="创建或升级数据库到最新结构。")
def upgrade() -> None:
    from alembic import command

    url = Settings.from_env().database_url
    command.upgrade(alembic_config(url), "head")
    click.echo(f"数据库已是最新结构：{_redacted(url)}", err=True)


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.group(help="工作人员账号。")
def user() -> None:
    pass


@user.command("add", help="新建账号；密码从标准输入读取。")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--display-name", default="", help="显示的姓名，默认与用户名相同。")
def user_add(name: str, role: str, display_name: str) -> None:
    from hotline.cases.accounts import AccountError, create_user

    if sys.stdin.isatty():
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再输入一次")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        with _sessions(Settings.from_env()).begin() as session:
            create_user(session, name, password, role, display_name)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"已创建账号 {name}（{role}）。", err=True)


@main.command(help="演示数据：一个演示调解员账号（随机密码）和几件示例案件。")
def demo() -> None:
    import secrets

    from hotline.cases.accounts import create_user
    from hotline.cases.models import User
    from hotline.cases.service import Intake, open_case
    from hotline.triage import build_record
    from sqlalchemy import select

    samples = [
        ("report_dispute", "labor", "老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅", "城关镇工业园"),
        ("report_dispute", "neighbor", "楼上天天半夜拖椅子，说了好几次也不改，俺们一家老小睡不着", "阳光花园小区"),
        ("report_dispute", "land", "隔壁家盖房子占了俺家宅基地半米，村里调了两回没调好", "石桥镇李家村"),
        ("report_dispute", "consumer", "在商场办的健身卡，五千多块，现在店关门老板跑了", "人民路"),
    ]
    password = secrets.token_urlsafe(9)
    with _sessions(Settings.from_env()).begin() as session:
        if session.execute(select(User).where(User.username == "demo")).scalar_one_or_none():
            raise click.ClickException("演示账号 demo 已存在；如需重置请先删除数据库。")
        create_user(session, "demo", password, "mediator", "演示调解员")
        for index, (intent, code, text, place) in enumerate(samples):
            record = build_record(text, {"name": intent, "confidence": 1.0},
                                  {"code": code, "confidence": 1.0}, line="12345")
            open_case(
                session,
                "demo",
                Intake(
                    text=text, triage=record, key=f"demo:{index}", channel="demo", location=place,
                    transcript=[("citizen", text)],
                ),
            )
    click.echo(f"演示账号：demo  密码：{password}")
    click.echo("登录地址：/console。演示数据只用于试用，请勿在正式环境运行 make demo。")


# --- batch triage -----------------------------------------------------------------

def _read_rows(stream: IO[str], fmt: str) -> Iterator[Tuple[int, Optional[dict], Optional[str]]]:
    """(line number, row or None, error or None) for each input record."""
    if fmt == "csv":
        reader = csv.DictReader(stream)
        if not reader.fieldnames or "text" not in reader.fieldnames:
            raise click.ClickException("CSV 文件需要一个名为 text 的列。")
        for row in reader:
            yield reader.line_num, row, None
        return
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as error:
            yield number, None, f"不是合法的 JSON（{error.msg}）"
            continue
        if not isinstance(row, dict):
            yield number, None, "每行应是一个 JSON 对象"
            continue
        yield number, row, None


def _detect_format(path: Optional[str], first_line: str) -> str:
    if path and path.lower().endswith(".csv"):
        return "csv"
    if path and path.lower().endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    return "jsonl" if first_line.lstrip().startswith("{") else "csv"


class LocalParser:
    """Parses with the trained model in this process."""

    def __init__(self, model_path: Path) -> None:
        import asyncio
        import logging

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from rasa.core.agent import Agent
        from rasa.utils.log_utils import configure_structlog

        configure_structlog(logging.WARNING)
        logging.getLogger("rasa").setLevel(logging.WARNING)

        self._loop = asyncio.new_event_loop()
        self._agent = Agent.load(str(model_path))

    def parse(self, text: str) -> dict:
        return self._loop.run_until_complete(self._agent.parse_message(text))

    @property
    def processor(self):
        """Rasa's MessageProcessor of the loaded model (bench/parse_latency.py batches on it)."""
        return self._agent.processor


class _ServerParser:
    def __init__(self, url: str, token: Optional[str]) -> None:
        from hotline.rasa_client import RasaClient

        self._client = RasaClient(url, token)

    def parse(self, text: str) -> dict:
        return self._client.parse(text)


def find_model(explicit: Optional[str]) -> Path:
    candidate = explicit or os.environ.get("HOTLINE_MODEL")
    if candidate:
        path = Path(candidate)
        if path.is_file():
            return path
        raise click.ClickException(f"找不到模型文件 {path}：请先运行 make train，或用 --model 指定。")
    models = sorted((PROJECT_ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise click.ClickException("没有找到训练好的模型（models/ 为空）：请先运行 make train，或用 --server 连接运行中的 Rasa。")
    return models[-1]


def record_from_parse(parse: dict, line: Optional[str]) -> dict:
    """The pipeline's own triage record (TriageAnnotator), with the line of entry."""
    record = dict(parse.get("triage") or {})
    if not record:
        raise ValueError("模型输出中没有分诊记录：模型可能不是用本项目的 config.yml 训练的")
    record["line"] = line
    return record


@main.command(help="批量分诊：读取 JSONL（text、line 字段）或 CSV（text 列），每条输出一行分诊记录（JSON）。")
@click.argument("input_path", required=False, metavar="[FILE]")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="写到文件，默认标准输出。")
@click.option("--server", help="用运行中的 Rasa 服务解析，例如 http://127.0.0.1:5005。")
@click.option("--token", default=lambda: os.environ.get("RASA_TOKEN"), help="Rasa HTTP API 的令牌（默认 RASA_TOKEN）。")
@click.option("--model", "model_path", help="模型文件（默认 models/ 中最新的一个）。")
def classify(input_path: Optional[str], output: Optional[str], server: Optional[str], token: Optional[str],
             model_path: Optional[str]) -> None:
    if input_path and input_path != "-":
        try:
            source: IO[str] = open(input_path, encoding="utf-8-sig", newline="")
        except OSError as error:
            raise click.ClickException(f"无法读取 {input_path}：{error.strerror}") from error
    else:
        source = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
    with source:
        try:
            content = source.read()
        except UnicodeDecodeError as error:
            raise click.ClickException(f"{input_path or '标准输入'} 不是 UTF-8 文本：{error.reason}") from error
    first = next((l for l in content.splitlines() if l.strip()), "")
    fmt = _detect_format(input_path if input_path != "-" else None, first)
    rows = list(_read_rows(io.StringIO(content, newline=""), fmt))

    # Records go to the real standard output; whatever Rasa and TensorFlow log goes to stderr.
    records_out, sys.stdout = sys.stdout, sys.stderr
    parser = _ServerParser(server, token) if server else LocalParser(find_model(model_path))
    out: IO[str] = open(output, "w", encoding="utf-8") if output else records_out
    skipped = 0
    progress = None
    if input_path and input_path != "-":
        from tqdm import tqdm

        progress = tqdm(total=len(rows), unit="条", file=sys.stderr, desc="分诊")
    try:
        for number, row, error in rows:
            if progress:
                progress.update(1)
            text = (row or {}).get("text") if row else None
            if error is None and (not isinstance(text, str) or not text.strip()):
                error = "没有 text 或 text 为空"
            if error is not None:
                skipped += 1
                click.echo(f"第 {number} 行已跳过：{error}", err=True)
                continue
            line = row.get("line") or None
            try:
                record = record_from_parse(parser.parse(text.strip()), str(line) if line is not None else None)
            except Exception as failure:  # noqa: BLE001 - one bad line must not stop the batch
                skipped += 1
                click.echo(f"第 {number} 行已跳过：解析失败（{failure}）", err=True)
                continue
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
    finally:
        if progress:
            progress.close()
        if output:
            out.close()
    if skipped:
        click.echo(f"共 {len(rows)} 条，跳过 {skipped} 条。", err=True)
        sys.exit(EXIT_SKIPPED)


# --- measuring and extending the model on a county's own labelled orders -------------

@main.command(help="用已标注的工单评估模型：读取 CSV 或 JSONL（text、intent、dispute_type），输出各类别的精确率、"
                   "召回率、F1，混淆矩阵和最有把握的20个错误。")
@click.argument("input_path", metavar="FILE")
@click.option("--model", "model_path", help="模型文件（默认 models/ 中最新的一个）。")
@click.option("--server", help="用运行中的 Rasa 服务解析，例如 http://127.0.0.1:5005。")
@click.option("--token", default=lambda: os.environ.get("RASA_TOKEN"), help="Rasa HTTP API 的令牌（默认 RASA_TOKEN）。")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, writable=True), help="另存完整结果（JSON）。")
def evaluate(input_path: str, model_path: Optional[str], server: Optional[str], token: Optional[str],
             json_path: Optional[str]) -> None:
    from hotline.nlu_eval import LabelError, check_labels, format_report, predictions, read_labelled, report
    from hotline.triage.taxonomy import DISPUTE_TYPES, INTENTS

    try:
        content = Path(input_path).read_text(encoding="utf-8-sig")
        rows = read_labelled(content, input_path)
        check_labels(rows, INTENTS, DISPUTE_TYPES)
    except OSError as error:
        raise click.ClickException(f"无法读取 {input_path}：{error.strerror}") from error
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{input_path} 不是 UTF-8 文本：{error.reason}") from error
    except LabelError as error:
        raise click.ClickException(str(error)) from error
    records_out, sys.stdout = sys.stdout, sys.stderr  # Rasa's and TensorFlow's logs go to stderr
    try:
        parser = _ServerParser(server, token) if server else LocalParser(find_model(model_path))
        result = report(rows, predictions(rows, parser.parse))
    finally:
        sys.stdout = records_out
    click.echo(format_report(result, f"{Path(input_path).name}：模型评估"))
    if json_path:
        Path(json_path).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


@main.command(help="训练模型（数据或配置变了才重新训练）；--extra 把本地标注的工单（CSV 或 JSONL：text、intent、"
                   "dispute_type）加入训练数据。")
@click.option("--extra", "extra_paths", multiple=True, type=click.Path(dir_okay=False),
              help="本地标注的工单文件，可多次指定；保存到 var/nlu_extra/ 后一直参与训练。")
@click.option("--hash-only", is_flag=True, help="只显示将要训练的模型编号（数据与配置的哈希），不训练。")
def train(extra_paths: Tuple[str, ...], hash_only: bool) -> None:
    import subprocess

    from hotline.nlu_eval import LabelError
    from hotline.nlu_extra import add

    for path in extra_paths:
        try:
            target, count = add(Path(path))
        except LabelError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"已加入 {count} 条标注工单：{target}", err=True)
    command = ["bash", str(PROJECT_ROOT / "scripts" / "train.sh")] + (["--hash"] if hash_only else [])
    done = subprocess.run(command, cwd=PROJECT_ROOT)
    if done.returncode:
        raise click.ClickException("训练失败，详情见上方日志。")


# --- case management: tokens, organisations, timed jobs -----------------------------


@user.command("set-password", help="设置或重设账号密码；密码从标准输入读取（组织机构文件建的账号须先设密码才能登录）。")
@click.argument("name")
def user_set_password(name: str) -> None:
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from hotline.cases.accounts import MIN_PASSWORD_LENGTH
    from hotline.cases.models import User

    if sys.stdin.isatty():
        password = click.prompt("新密码", hide_input=True, confirmation_prompt="再输入一次")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    with _sessions(Settings.from_env()).begin() as session:
        found = session.execute(select(User).where(User.username == name)).scalar_one_or_none()
        if found is None:
            raise click.ClickException(f"没有用户 {name}。")
        found.password_hash = generate_password_hash(password)
    click.echo(f"已设置 {name} 的密码。", err=True)


@main.group(help="API 令牌（供其他系统和脚本使用）。")
def token() -> None:
    pass


@token.command("create", help="新建令牌并只显示这一次：--role 给系统用，--user 代表某位工作人员。")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), help="系统令牌的角色。")
@click.option("--user", "username", help="令牌代表的工作人员用户名。")
def token_create(name: str, role: Optional[str], username: Optional[str]) -> None:
    from hotline.cases.errors import InvalidInput
    from hotline.cases.tokens import create_token

    try:
        with _sessions(Settings.from_env()).begin() as session:
            created, secret = create_token(session, name, role=role, username=username)
            who = f"代表 {username}" if username else f"角色 {created.role}"
    except InvalidInput as error:
        raise click.ClickException(error.message) from error
    click.echo(secret)
    click.echo(f"已创建令牌 {name}（{who}）。令牌只显示这一次，请妥善保存；"
               f"使用方式：Authorization: Bearer <令牌>。", err=True)


@token.command("list", help="列出令牌（不显示令牌本身）。")
def token_list() -> None:
    from sqlalchemy import select

    from hotline.cases.models import ApiToken

    with _sessions(Settings.from_env())() as session:
        for row in session.execute(select(ApiToken).order_by(ApiToken.id)).unique().scalars():
            who = f"user:{row.user.username}" if row.user else f"role:{row.role}"
            state = "已吊销" if row.revoked_at else "有效"
            click.echo(f"{row.name}\t{who}\t{state}\t{row.created_at:%Y-%m-%d %H:%M} UTC")


@token.command("revoke", help="吊销令牌，立即失效。")
@click.argument("name")
def token_revoke(name: str) -> None:
    from hotline.cases.errors import InvalidInput
    from hotline.cases.tokens import revoke_token

    try:
        with _sessions(Settings.from_env()).begin() as session:
            revoke_token(session, name)
    except InvalidInput as error:
        raise click.ClickException(error.message) from error
    click.echo(f"已吊销令牌 {name}。", err=True)


@main.group(help="组织机构：地区、调解组织、专业调委会、调解员。")
def orgs() -> None:
    pass


@orgs.command("load", help="从 YAML 文件导入或更新组织机构（示例：hotline/cases/organisations.example.yml）。")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def orgs_load(path: str) -> None:
    import yaml

    from hotline.cases.errors import InvalidInput
    from hotline.cases.organisations import load

    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except yaml.YAMLError as error:
        raise click.ClickException(f"{path} 不是合法的 YAML：{error}") from error
    try:
        with _sessions(Settings.from_env()).begin() as session:
            report = load(session, data)
    except InvalidInput as error:
        raise click.ClickException(error.message) from error
    click.echo(f"已导入：地区 {report.areas} 个，单位 {report.organisations} 个，调解员 {report.mediators} 名。")
    if report.new_accounts:
        click.echo("新建账号尚无密码，需先设置才能登录：", err=True)
        for name in report.new_accounts:
            click.echo(f"  hotline user set-password {name}", err=True)


@orgs.command("list", help="列出单位及其上级。")
def orgs_list() -> None:
    from sqlalchemy import select

    from hotline.cases.lifecycle import TIER_NAMES
    from hotline.cases.models import Organisation

    with _sessions(Settings.from_env())() as session:
        for org in session.execute(select(Organisation).order_by(Organisation.id)).scalars():
            parent = org.parent.code if org.parent else "—"
            click.echo(f"{org.code}\t{org.name}\t{TIER_NAMES.get(org.tier, '—')}\t上级：{parent}")


@main.group(help="定时任务（可在多个实例上同时运行，数据库锁保证同一时间只有一个在执行）。")
def jobs() -> None:
    pass


@jobs.command("run-deadlines", help="检查办理期限：超期案件升级到上一级，已在最高层级的标记超期。")
@click.option("--every", type=float, default=0, help="每隔多少秒运行一次；默认只运行一次。")
@click.option("--times", type=int, default=0, help="与 --every 一起使用：运行多少次后退出（0 表示一直运行）。")
def jobs_run_deadlines(every: float, times: int) -> None:
    from hotline.cases.deadlines import run_deadlines

    settings = Settings.from_env()
    sessions = _sessions(settings)

    def once() -> bool:
        result = run_deadlines(sessions, deadline_hours=settings.deadline_hours)
        if not result.ran:
            click.echo("另一个实例正在运行期限检查，本次跳过。", err=True)
        else:
            click.echo(f"期限检查完成：升级 {len(result.escalated)} 件，标记超期 {len(result.flagged)} 件，"
                       f"失败 {len(result.failed)} 件。", err=True)
            for number in result.escalated:
                click.echo(f"escalated\t{number}")
            for number in result.flagged:
                click.echo(f"overdue\t{number}")
        return not result.failed

    _repeat(once, every, times)


def _repeat(once, every: float, times: int) -> None:
    """Run a job once, or every `every` seconds (`times` runs, 0 for ever); exit 1 when the last run failed."""
    import time

    runs = 0
    while True:
        ok = once()
        runs += 1
        if every <= 0 or (times and runs >= times):
            break
        time.sleep(every)
    if not ok:
        sys.exit(1)

@jobs.command("run-handoffs", help="转人工：超过等待时限无人接入的告知群众并提供回电；补答机器人暂不可用时收到的消息；"
                                   "投递待发的消息和对话指令。")
@click.option("--every", type=float, default=0, help="每隔多少秒运行一次；默认只运行一次。")
@click.option("--times", type=int, default=0, help="与 --every 一起使用：运行多少次后退出（0 表示一直运行）。")
def jobs_run_handoffs(every: float, times: int) -> None:
    import datetime as dt

    import integrations
    from hotline.conversations import handoff, inbox, outbox
    from hotline.rasa_client import RasaClient

    settings = Settings.from_env()
    sessions = _sessions(settings)
    rasa = RasaClient.from_settings(settings)
    limit = dt.timedelta(seconds=settings.handoff_wait_seconds)

    def once() -> bool:
        # Each hand-off changes state with a conditional UPDATE and each outbox row is claimed before it is
        # sent, so several instances may run this at once.
        with sessions.begin() as session:
            timed_out = handoff.time_out_waiting(session, limit=limit)
        # Messages kept while Rasa was down (or left by a worker that died) are answered now.
        retried = inbox.retry_due(sessions, rasa)
        delivered = outbox.deliver_due(sessions, rasa, senders=integrations.senders(settings, sessions))
        for number in timed_out:
            click.echo(f"timed_out\t{number}")
        if retried.answered or retried.still_waiting:
            click.echo(f"补答消息：{len(retried.answered)} 个对话已答复"
                       + ("；机器人仍不可用，稍后再试。" if retried.still_waiting else "。"), err=True)
        if timed_out or delivered.sent or delivered.failed or delivered.gave_up:
            click.echo(f"转人工检查：超时 {len(timed_out)} 件；投递成功 {len(delivered.sent)} 条，待重试 "
                       f"{len(delivered.failed)} 条，放弃 {len(delivered.gave_up)} 条。", err=True)
        return not delivered.gave_up

    _repeat(once, every, times)


@main.group(help="看板日汇总表（按天、热线、承办单位统计的案件数，看板的长时段图表由它求和）。")
def rollup() -> None:
    pass


@rollup.command("rebuild", help="按现有案件重新统计日汇总表（升级数据库或用 SQL 批量导入案件之后；统计期间案件变更稍候）。")
def rollup_rebuild() -> None:
    import time

    from hotline.cases import rollup as daily

    sessions = _sessions(Settings.from_env())
    started = time.perf_counter()
    with sessions.begin() as session:
        rows = daily.rebuild(session)
    click.echo(f"日汇总表已重新统计：{rows} 行，用时 {time.perf_counter() - started:.1f} 秒。", err=True)


@rollup.command("compact", help="合并案件变更追加的汇总行（每天每项一行），看板查询保持快速；可在多个实例上同时运行。")
@click.option("--every", type=float, default=0, help="每隔多少秒运行一次；默认只运行一次。")
@click.option("--times", type=int, default=0, help="与 --every 一起使用：运行多少次后退出（0 表示一直运行）。")
def rollup_compact(every: float, times: int) -> None:
    from hotline.cases import rollup as daily

    sessions = _sessions(Settings.from_env())

    def once() -> bool:
        rows = daily.compact_all(sessions)
        if rows:
            click.echo(f"日汇总表：合并了 {rows} 行案件变更。", err=True)
        return True

    _repeat(once, every, times)


@main.command(help="按保存期限清除个人信息：已结案件的个人内容、原始消息、已投递消息、查询记录、登录记录和对话记录（Rasa）。")
@click.option("--older-than", "days", type=click.FloatRange(min=1), required=True, help="保存期限（天）。")
@click.option("--every", type=float, default=0, help="每隔多少秒运行一次；默认只运行一次。")
@click.option("--times", type=int, default=0, help="与 --every 一起使用：运行多少次后退出（0 表示一直运行）。")
def purge(days: float, every: float, times: int) -> None:
    from hotline.retention import purge as purge_cases
    from hotline.retention import purge_tracker

    settings = Settings.from_env()
    sessions = _sessions(settings)

    def once() -> bool:
        with sessions.begin() as session:
            result = purge_cases(session, days)
        from bot.stores import tracker_store_url

        result.counts["tracker_events"] = purge_tracker(tracker_store_url(), result.cutoff)
        click.echo(f"保存期限 {days:g} 天（{result.cutoff:%Y-%m-%d %H:%M} UTC 之前）已清除：{result.summary()}。", err=True)
        for name, count in result.counts.items():
            click.echo(f"{name}\t{count}")
        return True

    _repeat(once, every, times)


def _add_legal() -> None:
    from hotline.legal.cli import legal

    main.add_command(legal)


_add_legal()


if __name__ == "__main__":
    main()
