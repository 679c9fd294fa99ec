"""A district's residents' issues over three years, as another system (a hotline) would export them.

Columns as `redprop issue import` reads them (报告时间, 类型, 类别, 渠道, 户号, 标题, 等级, 处理人,
到场时间, 解决时间, 状态, 评分). Nearly all are long resolved, a few hundred are still open
(some on site, some not yet), so the morning list has work to show. Handlers are the
building leaders `楼长N` that benchmarks/district.py creates. Deterministic for a seed.
"""

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

from roster_csv import address

HEADER = ["编号", "报告时间", "类型", "类别", "渠道", "户号", "标题", "等级", "处理人", "到场时间", "解决时间", "状态", "评分"]
TITLES = {
    "parking": "乱停车堵住通道", "dogs": "犬只吠叫扰民", "repair": "楼道灯坏了", "sanitation": "垃圾清运不及时",
    "security": "单元门禁坏了", "dispute": "邻里纠纷", "noise": "装修噪音", "facilities": "健身器材损坏",
    "greening": "绿化带被占用", "other": "其他诉求",
}
CHANNELS = ["一站式窗口", "热线", "微信群", "许愿墙", "巡查", "走访"]


def write_issues(path: Path, count: int, households: int, now: datetime, seed: int = 11, open_share: float = 0.0004,
                 years: float = 3, ref: str = "HX") -> Path:
    """`count` issues spread over the last `years` years (a million is a district's history:
    seed 002 counts 480 property complaints in a district in a year), numbered `ref`0000001…
    in the other system (a second file with another `ref` adds issues, not updates)."""
    rng = random.Random(seed)
    span = timedelta(days=365 * years).total_seconds()
    fmt = "%Y-%m-%d %H:%M"
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for n in range(count):
            house = rng.randrange(households)
            b, u, r = address(house)
            reported = now - timedelta(seconds=rng.random() * span + 600)
            category = rng.choice(list(TITLES))
            tier = rng.choices(["一般", "重大", "特殊复杂"], [90, 8, 2])[0]
            arrived = reported + timedelta(minutes=rng.expovariate(1 / 6))
            resolved = arrived + timedelta(minutes=rng.expovariate(1 / 25) if tier == "一般" else rng.expovariate(1 / 200))
            still_open = rng.random() < open_share or resolved > now
            status, arrive_text, resolve_text, rating = "已解决", arrived.strftime(fmt), resolved.strftime(fmt), rng.choice("345555")
            if still_open:
                on_site = rng.random() < 0.5 and arrived < now
                status, resolve_text, rating = ("已到场" if on_site else "待派单"), "", ""
                arrive_text = arrived.strftime(fmt) if on_site else ""
            out.writerow([f"{ref}{n:07d}", reported.strftime(fmt), "问题" if rng.random() < 0.85 else "需求", category,
                          rng.choice(CHANNELS), f"{b}-{u}-{r}", TITLES[category], tier, f"楼长{b}",
                          arrive_text, resolve_text, status, rating])
    return path
