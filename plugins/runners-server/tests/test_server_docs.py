"""docs/serve.md runs as written: its Python block prints what the page shows."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PAGE = REPO / "docs" / "serve.md"
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", flags=re.MULTILINE | re.DOTALL)


def test_python_snippet_prints_what_the_page_shows(monkeypatch):
    blocks = FENCE.findall(PAGE.read_text())
    pairs = [
        (body, blocks[i + 1][1])
        for i, (lang, body) in enumerate(blocks)
        if lang == "python" and i + 1 < len(blocks) and blocks[i + 1][0] == "text"
    ]
    assert pairs, "docs/serve.md lost its Python example"
    monkeypatch.chdir(REPO)
    for code, expected in pairs:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(PAGE), "exec"), {"__name__": "serve_doc"})
        assert out.getvalue() == expected


def test_json_examples_parse_and_run_body_is_accepted():
    from runners_server.requests import RunAgentRequest

    bodies = [json.loads(body) for lang, body in FENCE.findall(PAGE.read_text()) if lang == "json"]
    run = next(b for b in bodies if "newMessage" in b)
    request = RunAgentRequest.model_validate(run)
    assert request.state_delta == {"mood": "curious"}


def test_every_option_of_the_command_is_documented():
    import typer
    from runners_server.plugin import serve
    from typer.main import get_command

    app = typer.Typer(add_completion=False)
    app.command()(serve)
    text = PAGE.read_text()
    for param in get_command(app).params:
        for flag in param.opts:
            if flag.startswith("--"):
                assert f"`{flag}" in text or f"{flag}`" in text or f" {flag}" in text, flag
