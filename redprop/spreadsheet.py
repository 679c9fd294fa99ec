"""What Excel itself imposes on a cell, shared by the files redprop reads and the ones it writes."""

# What a spreadsheet runs as a formula when a cell starts with it (OWASP's list): exports write
# such a text with a leading ' (Excel's own mark for "this is text"); imports take the mark off.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CELL_LIMIT = 32_767  # characters in a cell


def column_letter(index: int) -> str:
    """Excel's name for the column at 0-based `index`: A … Z, AA …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
