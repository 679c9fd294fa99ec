"""The floor for a command's time: a bare Typer app that prints a three-row Rich table.

Whatever a redprop command costs beyond this is redprop's own: its imports, opening the
database, the query and the rendering.
"""

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer()


@app.command()
def show(building: str = "8"):
    """Print a three-row table."""
    table = Table(title=f"{building}栋")
    for header in ("户号", "户主", "电话"):
        table.add_column(header)
    table.add_row(f"{building}-2-301", "熊秀英", "0874-8123456")
    table.add_row(f"{building}-2-302", "邵俊飞", "18725845416")
    table.add_row(f"{building}-2-401", "叶家东", "13193844305")
    Console().print(table)


if __name__ == "__main__":
    app()
