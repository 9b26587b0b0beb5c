"""`python -m agentcl.relay --port N`: serve the scripted user and the offline judge over HTTP."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from ..secrets import install_log_redaction, resolve_secret
from ..users.scripted_logic import MAX_USER_TURNS
from .faults import add_fault_args, fault_config_from_args
from .server import RelayServer

KEY_ENV = "AGENTCL_RELAY_API_KEY"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m agentcl.relay",
        description="Local OpenAI-compatible server: answers as the scripted user (any model name) and as the "
                    "offline judge (model names starting with 'judge'), with optional fault injection.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed at start)")
    p.add_argument("--api-key", default=None, help=f"bearer key clients must send (or ${KEY_ENV})")
    p.add_argument("--api-key-file", default=None, help="file holding the bearer key")
    p.add_argument("--max-user-turns", type=int, default=MAX_USER_TURNS,
                   help="the scripted user stops after this many messages")
    p.add_argument("--log-level", default="WARNING")
    add_fault_args(p)
    return p


async def _serve(server: RelayServer) -> None:
    url = await server.start_async()
    print(f"agentcl relay listening on {url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop_async()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    install_log_redaction()
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        faults = fault_config_from_args(args)
        key = resolve_secret(args.api_key, KEY_ENV, args.api_key_file)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server = RelayServer(faults, key.get(), host=args.host, port=args.port, max_user_turns=args.max_user_turns)
    try:
        asyncio.run(_serve(server))
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
