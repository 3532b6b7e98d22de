"""Entry point. `nerv hook <event>` and `nerv statusline` go to their stdlib-only modules before anything heavy
is imported."""

from __future__ import annotations

import sys

# Hook subcommands that are management commands (typer), not agent events.
HOOK_MANAGEMENT = {"install", "uninstall", "daemon", "--help", "-h"}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) >= 2 and args[0] == "hook" and args[1] not in HOOK_MANAGEMENT:
        from nerv.hook import run

        return run(args[1:])
    if args == ["statusline"]:
        from nerv.statusline import run as statusline

        return statusline(sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode())
    if args in (["--version"], ["-V"]):
        # The most common probe of an install; answering it needs no CLI framework.
        from nerv import __version__

        sys.stdout.write(f"nerv {__version__}\n")
        return 0
    from nerv.cli.app import main as cli_main

    return cli_main(args)


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
