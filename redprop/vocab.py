"""Bilingual code lists: every code has a slug, a Chinese label and an English label.

Scripts use slugs (`building_leader`); people type whatever they know (`楼栋长`,
`Building leader`, `building-leader`). One `Catalogue` resolves any of the three to the
slug and labels a slug in the chosen language. Fixed lists live here; lists a community
edits (focus groups, issue categories) are tables, loaded into the same class.
"""

from dataclasses import dataclass

from redprop.errors import InvalidValue


@dataclass(frozen=True)
class Code:
    slug: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()


def _fold(text: str) -> str:
    return text.strip().casefold().replace("-", "_").replace(" ", "_")


class Catalogue:
    def __init__(self, name: str, codes: list[Code]):
        self.name = name
        self.codes = {code.slug: code for code in codes}
        self._lookup: dict[str, str] = {}
        for code in codes:
            for spelling in (code.slug, code.zh, code.en, *code.aliases):
                self._lookup[_fold(spelling)] = code.slug

    def resolve(self, text: str) -> str:
        """The slug for any spelling of a code; an unknown one is a one-line error listing the choices."""
        slug = self._lookup.get(_fold(text))
        if slug is None:
            choices = ", ".join(f"{c.slug} ({c.zh})" for c in self.codes.values())
            raise InvalidValue(f"unknown {self.name} {text!r}; choose one of: {choices}")
        return slug

    def label(self, slug: str | None, lang: str) -> str:
        if slug is None:
            return ""
        code = self.codes.get(slug)
        if code is None:
            return slug
        return code.zh if lang == "zh" else code.en

    def slugs(self) -> list[str]:
        return list(self.codes)


ROLES = Catalogue(
    "role",
    [
        Code("building_leader", "楼栋长", "Building leader", ("楼长",)),
        Code("grid_worker", "网格员", "Grid worker"),
        Code("mediator", "治安调解员", "Security mediator", ("调解员",)),
        Code("cleaner", "清扫保洁员", "Cleaner", ("保洁员",)),
        Code("property_staff", "物业人员", "Property staff", ("物业",)),
        Code("volunteer", "党员志愿者", "Party-member volunteer", ("志愿者",)),
    ],
)

RELATIONS = Catalogue(
    "relation",
    [
        Code("head", "户主", "Head of household", ("本人",)),
        Code("spouse", "配偶", "Spouse", ("妻子", "丈夫", "wife", "husband")),
        Code("child", "子女", "Child", ("儿子", "女儿", "son", "daughter")),
        Code("parent", "父母", "Parent", ("父亲", "母亲", "father", "mother")),
        Code("grandchild", "孙子女", "Grandchild", ("孙子", "孙女", "外孙", "外孙女")),
        Code("tenant", "租户", "Tenant", ("租客",)),
        Code("other", "其他", "Other", ("亲属",)),
    ],
)
