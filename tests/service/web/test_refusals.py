"""The domain's refusals on pages: the page's language, the matching sentence, never a raw key; the English page
keeps the domain's own detail (the API's problem+json is not touched: service/api/problems.py)."""

from __future__ import annotations

import pytest

from service.attachments.detect import UnsupportedFileType
from service.errors import Conflict, EngineFailure, Forbidden, InvalidTransition, NotFound, PayloadTooLarge
from service.web import refusals
from service.web.texts import TEXTS


def test_every_sentence_a_refusal_names_is_a_text():
    assert all(key in TEXTS for _pattern, key in refusals._KNOWN)


@pytest.mark.parametrize(("error", "zh"), [
    (Forbidden("auditors read and change nothing"), "审计人员只读，不能更改任何内容。"),
    (Forbidden("you are not a candidate for this task"), "您不是此任务的候选办理人。"),
    (Conflict("task 1f2e is claimed by head_a"), "此任务已由 head_a 领取。"),
    (Conflict("task 1f2e is not claimed"), "此任务尚未被领取。"),
    (Conflict("task 1f2e is already completed"), "此任务已办结或已取消，不能再办理。"),
    (Conflict("task 1f2e is already completed: its attachments can no longer change"),
     "此任务已办结或已取消，其附件不能再更改。"),
    (Conflict("task 1f2e is waiting, not ready"), "此任务当前不能办理，请刷新页面。"),
    (Conflict("claim the task before delegating it"), "请先领取此任务，再委托他人。"),
    (Conflict("you cannot delegate a task to yourself"), "不能把任务委托给自己。"),
    (NotFound("no active user 'nobody'"), "没有名为 nobody 的在用账户。"),
    (PayloadTooLarge("the file is larger than 2048 bytes"), "提交的内容超过上传大小限制。"),
    (UnsupportedFileType("macro-enabled Office documents are not accepted; save without macros"), "不接受此类文件"),
    (Forbidden("only supervisors decide escalations"), "只有督办人员可以处理或上报督办事项。"),
    (Conflict("escalation 12 is already resolved"), "此督办事项已处理。"),
    (Forbidden("this escalation was handed to the bureau's leadership (局领导): only they decide it"),
     "由局领导决定"),
    (Conflict("the instance was changed by someone else meanwhile; reload and try again"), "请刷新页面后重试"),
    # refusals without a sentence of their own: the general one of their kind
    (Forbidden("your roles do not allow starting processes"), "您的角色不允许此操作。"),
    (InvalidTransition("suspending is not possible: the instance is completed"), "操作与当前状态冲突"),
    (NotFound("task 1f2e not found"), "未找到该内容，或您无权查看。"),
    (EngineFailure("a script failed"), "流程无法继续运行"),
    (Conflict("the instance is not waiting for message 'x'"), "操作与当前状态冲突"),
])
def test_a_refusal_on_a_chinese_page_is_chinese_and_on_an_english_page_the_detail(error, zh):
    assert zh in refusals.text(error, "zh")
    assert refusals.text(error, "en") == error.detail
