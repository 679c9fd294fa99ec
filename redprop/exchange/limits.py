"""The limits every import holds a file to (the CLI's defaults read them without loading the readers)."""

from redprop.spreadsheet import CELL_LIMIT  # noqa: F401 (Excel's own limit on a cell's characters)

DEFAULT_MAX_ROWS = 1_000_000  # data rows of one file (--max-rows)
LINE_LIMIT = 4 * 1024 * 1024  # characters of one CSV line (a stray quote can swallow a whole file)
XLSX_UNPACKED_LIMIT = 500 * 1024 * 1024  # bytes all parts of a workbook may unpack to
XLSX_RATIO_LIMIT = 100  # a part's unpacked size over its packed size ...
XLSX_RATIO_FROM = 1024 * 1024  # ... for parts unpacking to more than this (a tiny part cannot be a bomb)
BYTES_PER_ROW = 1024  # an import reads at most --max-rows × this many bytes (1 GB by default; a district's
#                      million issues are 137 MB of CSV)
HOLIDAY_FILE_LIMIT = 1024 * 1024  # bytes of a holiday file (holiday-cn's year is 5 KB; a CSV of every year 200 KB)
HOLIDAY_DEPTH_LIMIT = 8  # levels of nesting in a holiday file's JSON (holiday-cn's has 3)
