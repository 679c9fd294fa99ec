"""A district-scale households roster, as the CSV an office's Excel would save.

Same columns as sample_data/households.csv (Chinese headers, UTF-8 with BOM) and cells
written the ways offices write them: `3栋` or `3号楼`, `2单元`, `301室`, landlines with
their leading zero, dates as 2011/10/19, 2011-10-19 or 2011年10月19日. 100 households per
building (2 units of 50), numbered as benchmarks/district.py numbers them, so address
`B-U-R` exists for every building B up to households/100. Deterministic for a given seed.
"""

import csv
import random
from pathlib import Path

HEADER = ["楼栋", "单元", "门牌号", "户主", "电话", "网格", "人口", "入住日期", "备注"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "秀英桂英丽娜文杰海龙建国志强永祥国平家杰彩芬俊飞家东学军红萍俊杰云华兴东明华玉兰淑珍德明春梅晓燕建华丽华"
NOTES = ["独居老人", "空巢老人", "低保户", "残疾人", "租户", "新迁入"]


def address(n: int) -> tuple[str, str, str]:
    """The n-th household (0-based): building, unit, room as digits."""
    building, rest = divmod(n, 100)
    unit, room = divmod(rest, 50)
    floor, door = divmod(room, 4)
    return str(building + 1), str(unit + 1), str((floor + 1) * 100 + door + 1)


def write_roster(path: Path, households: int, seed: int = 3) -> Path:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f, lineterminator="\r\n")
        out.writerow(HEADER)
        for n in range(households):
            b, u, r = address(n)
            style = rng.random()
            building = b if style < 0.6 else (f"{b}栋" if style < 0.8 else f"{b}号楼")
            unit = u if style < 0.5 else f"{u}单元"
            room = r if rng.random() < 0.7 else f"{r}室"
            head = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
            phone = (f"0874-8{rng.randrange(10**6):06d}" if rng.random() < 0.2
                     else f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}")
            if rng.random() < 0.05:
                phone = ""
            grid = f"G{(n // 100) // 3 + 1:03d}"
            members = str(rng.randint(1, 6)) if rng.random() < 0.95 else ""
            y, m, d = rng.randint(1995, 2025), rng.randint(1, 12), rng.randint(1, 28)
            moved_in = rng.choice([f"{y}/{m}/{d}", f"{y}-{m:02d}-{d:02d}", f"{y}年{m}月{d}日", ""])
            note = rng.choice(NOTES) if rng.random() < 0.1 else ""
            out.writerow([building, unit, room, head, phone, grid, members, moved_in, note])
    return path


if __name__ == "__main__":
    import sys

    print(write_roster(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 100_000))
