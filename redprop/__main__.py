"""The `redprop` command (`python -m redprop`, and the script `pip install` makes)."""


def main():
    """The collector made patient before anything is imported, then the command line (cli.main).

    A command's start is all allocation and no garbage — Typer, Click and redprop's own modules,
    tens of thousands of objects that live until the end — and at the interpreter's thresholds
    the cyclic collector walks them again and again: 8 ms of a 90 ms command. Objects are still
    freed as their last reference goes; cycles are collected every 50,000 allocations instead
    of every 700."""
    import gc

    gc.set_threshold(50_000, 10, 10)
    from redprop.cli import main as run_command_line

    run_command_line()


if __name__ == "__main__":
    main()
