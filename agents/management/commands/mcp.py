"""``manage.py mcp``: the MCP server over stdio, for one person (their API token in
``COCREATE_API_TOKEN``); ``manage.py mcp --http --port N``: over streamable HTTP at
``/mcp``, each caller bringing their token as ``Authorization: Bearer …``."""

import os

from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import AuthenticationFailed

from agents.server import build_server, token_user


class Command(BaseCommand):
    help = "Serve Cocreate to agents over the Model Context Protocol (stdio or HTTP)."

    def add_arguments(self, parser):
        parser.add_argument("--http", action="store_true", help="Streamable HTTP, not stdio")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)

    def handle(self, *args, http: bool, host: str, port: int, **options):
        if http:
            server = build_server(public_url=f"http://{host}:{port}")
            server.run("streamable-http", host=host, port=port)
            return
        token = os.environ.get("COCREATE_API_TOKEN", "").strip()
        if not token:
            raise CommandError(
                "Set COCREATE_API_TOKEN to your API token (POST /api/v1/auth/token/)."
            )
        try:
            token_user(token)
        except AuthenticationFailed as error:
            raise CommandError(f"COCREATE_API_TOKEN was refused: {error.detail}") from None
        build_server(stdio_token=token).run("stdio")
