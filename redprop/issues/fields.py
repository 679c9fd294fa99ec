"""An issue's fields (see redprop/fields.py): the keys of its JSON and the columns of its CSV, in
the order scripts read them, and the columns an import of another system's issues reads.

An issue's stored columns are its writer's (issues.records: the cached state of its steps), so
the fields here are the issue as it is read, at a moment: most are worked out by
`issues.reading.issue_record` from the row and its steps. The import's cleaners need the
community's catalogues, clock and staff, so they are the importer's (exchange/issues.py).
How a table shows an issue (its number, where, the next deadline) is worked out by present/.
"""

from redprop.fields import Field, Record

ISSUE = Record("issues", (
    Field("ref", headers=("编号", "工单号", "单号", "工单编号", "reference", "external_id"), listed=False),
    Field("id"),
    Field("title", headers=("标题", "事项", "问题", "诉求")),
    Field("kind", headers=("类型", "清单", "清单类型")),
    Field("category", headers=("类别", "分类", "问题类别", "问题分类")),
    Field("category_upstream"),
    Field("channel", headers=("渠道", "来源", "反映渠道", "受理渠道")),
    Field("household", headers=("户号", "住户", "房号", "household_key")),
    Field("head"),  # the household's, said back with its address
    Field("place", headers=("地点", "位置", "地址", "公共区域", "location", "where")),
    Field("building", headers=("楼栋", "楼号")),
    Field("grid"),
    Field("grid_code"),
    Field("reporter", headers=("反映人", "报告人", "联系人")),
    Field("description", headers=("描述", "内容", "详情", "问题描述", "诉求内容", "details")),
    Field("tier", headers=("等级", "级别", "问题等级")),
    Field("status", headers=("状态", "办理状态")),
    Field("handler", headers=("处理人", "经办人", "责任人", "承办人")),
    Field("reported_at", headers=("报告时间", "反映时间", "受理时间", "登记时间", "上报时间", "reported", "时间"), required=True),
    Field("recorded_at"),
    Field("backdated"),
    Field("imported"),
    Field("assigned_at"),
    Field("arrived_at", headers=("到场时间", "arrived")),
    Field("planned_at", headers=("方案时间", "书面方案时间", "planned")),
    Field("resolved_at", headers=("解决时间", "办结时间", "完成时间", "resolved")),
    Field("closed_at"),
    Field("rating", headers=("评分", "满意度", "评价", "回访评分")),
    Field("escalation"),
    Field("voided"),
    Field("returned"),
    Field("duplicate_of"),
    Field("overdue"),
    Field("follow_up_overdue"),
    Field("provisional"),
    Field("provisional_years"),
    Field("visit"),
    Field("order"),
    Field("deadlines"),
    Field("due_at", headers=("期限", "截止时间", "应办结时间", "到期时间", "办理期限", "due"), listed=False),  # the file's own deadline
))
