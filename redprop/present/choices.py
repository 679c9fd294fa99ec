"""Questions asked at a terminal when a word is missing or unknown: the choices, numbered.

`类别？ 1 乱停车  2 犬只  3 报修 …` and the answer read back — a number, or any spelling of a
code; Enter takes the closest word, when there is one. Said in the worker's language,
wrapped to the terminal, never a name broken.
"""

from redprop.errors import Message
from redprop.present.cells import width
from redprop.present.output import Output


def choice_question(out: Output, catalogue, nearest: str | None) -> str:
    """The question and its numbered choices, ending where the answer is typed."""
    what = out.say(Message(catalogue.name))
    head = out._("{what}?", what=what[:1].upper() + what[1:])
    items = [f"{n} {out.language.label(code)}" for n, code in enumerate(catalogue.codes.values(), 1)]
    lines = [head]
    for item in items:  # a choice is never broken: a line ends between two
        if width(lines[-1]) + 2 + width(item) > out.width:
            lines.append(item)
        else:
            lines[-1] += ("  " if lines[-1] != head else " ") + item
    if nearest:
        ask = out._("number or word (Enter: {word}): ", word=out.language.label(catalogue.codes[nearest]))
    else:
        ask = out._("number or word: ")
    return "\n".join(lines) + "\n" + ask


def read_choice(catalogue, answer: str, nearest: str | None) -> tuple[str | None, str | None]:
    """(the slug chosen, or None to ask again; the closest word to offer next time)."""
    from redprop.vocab import UnknownWord

    codes = list(catalogue.codes)
    if not answer:
        return nearest, nearest
    if answer.isdigit():
        n = int(answer)
        return (codes[n - 1], nearest) if 1 <= n <= len(codes) else (None, nearest)
    try:
        return catalogue.resolve(answer), None
    except UnknownWord as unknown:
        return None, unknown.nearest


def text_question(out: Output, what: str) -> str:
    """`标题？ ` for free text an option must give."""
    return out._("{what}?", what=out._(what)) + " "
