"""Codes as words in the current language, with the community's own catalogues.

The fixed code lists are in `redprop.vocab`; the focus groups and issue categories a
community edits are read from its database, once per command (never cached across
commands, so a label edited a moment ago is the label shown).
"""

from functools import cached_property

from redprop.present.i18n import label
from redprop.vocab import SENSITIVE, Catalogue


class Labels:
    def __init__(self, store):
        self.store = store

    def of(self, catalogue: Catalogue, slug: str | None) -> str:
        """The label of `slug` in `catalogue`; an unknown slug shows as itself."""
        if slug is None:
            return ""
        code = catalogue.get(slug)
        return label(code) if code else slug

    def all_of(self, catalogue: Catalogue, slugs) -> list[str]:
        return [self.of(catalogue, s) for s in slugs or ()]

    @cached_property
    def groups(self) -> Catalogue:
        from redprop.care.groups import group_catalogue, load_groups

        return group_catalogue(load_groups(self.store))

    @cached_property
    def categories(self) -> Catalogue:
        from redprop.issues.categories import load_categories

        return load_categories(self.store)

    def group(self, slug: str | None) -> str:
        """A focus group's label; the masked code `sensitive` reads 敏感 / sensitive."""
        if slug == SENSITIVE.slug:
            return label(SENSITIVE)
        return self.of(self.groups, slug)

    def category(self, slug: str | None) -> str:
        return self.of(self.categories, slug)
