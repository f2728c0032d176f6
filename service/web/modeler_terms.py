"""The Chinese words of the designers' modeler: bpmn-js and its Camunda properties panel write their labels in
English and ask diagram-js's `translate` service for each; on a Chinese page designer.js answers from this table.
Labels not listed stay in the library's English."""

from __future__ import annotations

MODELER_ZH: dict[str, str] = {
    # the panel's groups and headers
    "General": "常规", "Documentation": "说明文档", "Element documentation": "元素说明",
    "Process documentation": "流程说明", "History cleanup": "历史清理", "Tasklist": "任务列表",
    "Candidate starter": "可发起人", "External task": "外部任务", "Job execution": "作业执行",
    "Execution listeners": "执行监听器", "Task listeners": "任务监听器", "Extension properties": "扩展属性",
    "Asynchronous continuations": "异步延续", "Inputs": "输入", "Outputs": "输出", "Input/Output": "输入/输出",
    "User assignment": "人员分配", "Forms": "表单", "Form": "表单", "Details": "详情", "Implementation": "实现",
    "Multi-instance": "多实例", "Condition": "条件", "Timer": "定时器", "Called element": "被调用元素",
    "In mappings": "传入映射", "Out mappings": "传出映射", "Field injections": "字段注入", "Script": "脚本",
    "Message": "消息", "Signal": "信号", "Error": "错误", "Escalation": "升级", "Link": "链接",
    "Business key": "业务编号", "Start initiator": "发起人变量", "Variable name": "变量名",
    # the fields
    "Name": "名称", "ID": "标识", "Version tag": "版本标签", "Executable": "可执行", "Time to live": "保留时长",
    "Startable": "可手动发起", "Candidate starter groups": "可发起的用户组", "Candidate starter users": "可发起的用户",
    "Specify more than one group as a comma separated list.": "多个用户组以逗号分隔。",
    "Specify more than one user as a comma separated list.": "多个用户以逗号分隔。",
    "This maps to the process definition key.": "即流程定义的键。",
    "Priority": "优先级", "Create": "新增", "Delete": "删除", "Assignee": "办理人", "Candidate groups": "候选用户组",
    "Candidate users": "候选用户", "Due date": "截止时间", "Follow up date": "跟进时间", "Form key": "表单键",
    "Form type": "表单类型", "Type": "类型", "Value": "值", "Expression": "表达式", "Format": "格式",
    "Condition type": "条件类型", "Script type": "脚本类型", "Inline script": "内联脚本",
    "External resource": "外部资源", "Resource": "资源", "Result variable": "结果变量", "Topic": "主题",
    "Retries": "重试", "Retry time cycle": "重试周期", "Before": "之前", "After": "之后", "Exclusive": "独占",
    "Date": "日期", "Duration": "时长", "Cycle": "周期", "Default": "默认", "Binding": "绑定", "Version": "版本",
    "Tenant ID": "租户标识", "Local": "局部", "Source": "来源", "Target": "目标", "Local variable name": "局部变量名",
    "Process variable name": "流程变量名", "Event type": "事件类型", "Listener type": "监听器类型",
    "Java class": "Java 类", "Delegate expression": "委托表达式", "Connector": "连接器", "<none>": "（无）",
    "Loop cardinality": "循环次数", "Collection": "集合", "Element variable": "元素变量",
    "Completion condition": "完成条件", "Sequential": "顺序执行", "Parallel": "并行执行",
    "Global message reference": "全局消息引用", "Global signal reference": "全局信号引用",
    "Global error reference": "全局错误引用", "Code": "代码", "Code variable": "代码变量",
    "Message variable": "消息变量", "Cancel activity": "中断活动", "Wait for completion": "等待完成",
    "Initiator": "发起人", "Assignment": "分配", "Process": "流程", "Participant": "参与者",
    "The due date as an EL expression (e.g. ${someDate}) or an ISO date (e.g. 2015-06-26T09:54:00).":
        "截止时间：EL 表达式（如 ${someDate}）或 ISO 日期。",
    "The follow up date as an EL expression (e.g. ${someDate}) or an ISO date (e.g. 2015-06-26T09:54:00).":
        "跟进时间：EL 表达式（如 ${someDate}）或 ISO 日期。",
    "Camunda Forms": "Camunda 表单", "Embedded or External Task Forms": "嵌入式或外部任务表单",
    "Generated Task Forms": "生成的任务表单", "Create new list item": "新增一项",
}
# Element kinds, named in the panel's header in title case ("User Task") and elsewhere in sentence case.
_KINDS: dict[str, str] = {
    "User task": "用户任务", "Service task": "服务任务", "Script task": "脚本任务",
    "Business rule task": "业务规则任务", "Send task": "发送任务", "Receive task": "接收任务",
    "Manual task": "人工任务", "Task": "任务",
    "Call activity": "调用活动", "Sub process": "子流程", "Start event": "开始事件", "End event": "结束事件",
    "Boundary event": "边界事件", "Intermediate catch event": "中间捕获事件",
    "Intermediate throw event": "中间抛出事件",
    "Exclusive gateway": "排他网关", "Parallel gateway": "并行网关", "Inclusive gateway": "包容网关",
    "Event-based gateway": "事件网关", "Sequence flow": "顺序流", "Text annotation": "文本注释",
    "Timer start event": "定时开始事件", "Timer boundary event": "定时边界事件",
    "Timer intermediate catch event": "定时中间捕获事件", "Message start event": "消息开始事件",
    "Error boundary event": "错误边界事件", "Escalation boundary event": "升级边界事件",
    "Non-interrupting timer boundary event": "非中断定时边界事件",
}
MODELER_ZH |= _KINDS | {" ".join(w[:1].upper() + w[1:] for w in kind.split()): zh for kind, zh in _KINDS.items()}


def modeler_terms(lang: str) -> dict[str, str]:
    """The table designer.js translates the modeler's labels with ({} on an English page)."""
    return MODELER_ZH if lang == "zh" else {}
