"""Codes as words in one language, with the community's own catalogues.

The fixed code lists are in `redprop.vocab`; the focus groups and issue categories a
community edits are read from its database by the command (with the domain's loaders,
through the application object) and handed in here: presentation never queries. A command
hands in only the catalogues its output shows, so that one that shows no group label does
not pay for reading them; asking for a catalogue that was not handed in is a bug, said loudly.
"""

from redprop.errors import N_
from redprop.present.i18n import Language
from redprop.vocab import SENSITIVE, Catalogue


ARGUMENTS = {  # an argument by its name (or metavar), as usage and help say it: `<户号>`, not Typer's `{household}`
    "household": N_("address"), "key": N_("address"), "issue": N_("issue"), "visit": N_("visit"), "entry": N_("entry"),
    "file": N_("file"), "folder": N_("folder"), "data": N_("folder"), "source": N_("source"), "target": N_("target"),
    "code": N_("code"), "group": N_("group"), "grid": N_("grid point"), "name": N_("name"), "login": N_("login"),
    "rating": N_("rating"), "text": N_("text"), "value": N_("value"), "year": N_("year"), "day": N_("date"),
    "mark": N_("mark"), "kind": N_("ledger"), "setting": N_("setting"), "zh": N_("Chinese label"), "en": N_("English label"),
}


def argument_said(name: str, lang: Language) -> str:
    """An argument of the command line by its name (or metavar), as help, usage lines and the
    error that finds it missing say it: `<户号>`; a name with no word, as it is."""
    return "<" + lang.gettext(ARGUMENTS[name]) + ">" if name in ARGUMENTS else name


class Labels:
    def __init__(self, language: Language, groups: Catalogue | None = None, categories: Catalogue | None = None):
        self.language = language
        self._groups, self._categories = groups, categories
        self._group_lists: dict[tuple, list[str]] = {}

    def of(self, catalogue: Catalogue, slug: str | None) -> str:
        """The label of `slug` in `catalogue`; an unknown slug shows as itself."""
        if slug is None:
            return ""
        code = catalogue.get(slug)
        return self.language.label(code) if code else slug

    def all_of(self, catalogue: Catalogue, slugs) -> list[str]:
        return [self.of(catalogue, s) for s in slugs or ()]

    @property
    def groups(self) -> Catalogue:
        if self._groups is None:
            raise LookupError("this output was made without the focus groups: app.output(…, groups=True)")
        return self._groups

    @property
    def categories(self) -> Catalogue:
        if self._categories is None:
            raise LookupError("this output was made without the issue categories: app.output(…, categories=True)")
        return self._categories

    def group(self, slug: str | None) -> str:
        """A focus group's label; the masked code `sensitive` reads 敏感 / sensitive."""
        if slug == SENSITIVE.slug:
            return self.language.label(SENSITIVE)
        return self.of(self.groups, slug)

    def group_list(self, slugs) -> list[str]:
        """The labels of a list of focus groups: a district's due list is a thousand rows of the same
        few sets of groups, each set said once."""
        key = tuple(slugs)
        said = self._group_lists.get(key)
        if said is None:
            said = self._group_lists[key] = [self.group(g) for g in key]
        return list(said)

    def category(self, slug: str | None) -> str:
        return self.of(self.categories, slug)

    def household(self, key: str | None, head: str | None = None, groups=()) -> str:
        """`8-2-301 熊秀英（独居老人）`: an address said back with its head and focus groups (a
        masked one as 敏感), so that a worker who typed the wrong door sees the wrong name."""
        words = " ".join(filter(None, (key, head)))
        if groups:
            words += self.language._(" ({details})", details=self.language.separator.join(self.group(g) for g in groups))
        return words
