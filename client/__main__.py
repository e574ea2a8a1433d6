"""``python -m client``: the app launcher (``yongdon app`` runs this in its own process)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .web import launch


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="yongdon app", description="Open the Yongdon (용돈) family app")
    parser.add_argument("--server", help="the family server's URL (pre-filled at first start)")
    parser.add_argument("--data-dir", help="where this device keeps its data (default: the user data dir)")
    parser.add_argument("--port", type=int, help="web view port on 127.0.0.1 (default from flet.toml)")
    parser.add_argument("--no-browser", action="store_true", help="print the link instead of opening it")
    parser.add_argument("--demo", metavar="CREDENTIALS", help=argparse.SUPPRESS)  # set by `yongdon demo`
    args = parser.parse_args(argv)
    launch(
        server_url=args.server,
        data_dir=args.data_dir,
        port=args.port,
        open_browser=not args.no_browser,
        demo_credentials=args.demo,
    )


if __name__ == "__main__":
    main()
