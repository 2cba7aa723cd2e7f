"""The web UI in a real browser: Playwright driving Debian's Chromium against a live server.

Set ``RUNNERS_UPDATE_SCREENSHOTS=1`` to refresh the screenshots in docs/images/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires it (.ci/run installs it)", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def ui(browser, live_server, h, tmp_path):
    """A page on a live server of the example assistant (in-memory backends)."""
    from runners_server import ServerSettings, create_app

    settings = ServerSettings(
        agents=[f"{REPO}/examples/assistant.py:root_agent"],
        session_service="memory://",
        memory_service="memory://",
        artifact_service="memory://",
    )
    server = live_server(create_app(settings))
    context = browser.new_context(viewport={"width": 1280, "height": 760})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{server.url}/ui/")
    yield page
    context.close()


def shoot(page, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path))
    if os.environ.get("RUNNERS_UPDATE_SCREENSHOTS") == "1":
        target = REPO / "docs" / "images" / name
        target.parent.mkdir(exist_ok=True)
        shutil.copy(path, target)


def switch_user(page, user: str) -> None:
    page.fill("#user", user)
    page.click("#user-form button[type=submit]")
    page.wait_for_function("user => location.hash.includes('/' + user)", arg=user)


def send(page, text: str) -> None:
    page.fill("#message", text)
    page.click("#chat button[type=submit]")


def test_chat_history_artifacts_and_users(ui, tmp_path):
    page = ui
    from playwright.sync_api import expect

    expect(page.locator("#app")).to_have_value("assistant")
    switch_user(page, "alice")
    page.click("#new-session")
    expect(page.locator("#session")).to_be_visible()
    session_id = page.locator("#sessions a.current").inner_text()
    assert session_id

    send(page, "note buy milk")
    reply = page.locator("#timeline li.event.agent", has_text="Noted: 'buy milk'")
    expect(reply).to_be_visible()
    # The reply was streamed: partial frames arrived before the final event.
    assert int(page.locator("#timeline").get_attribute("data-partials")) > 3
    expect(page.locator('.scope[data-scope="user:"]')).to_contain_text("user:turns")
    expect(page.locator('.scope[data-scope="session"]')).to_contain_text("notes")
    send(page, "hello")
    expect(page.locator("#timeline li.event.agent", has_text="Welcome back!")).to_be_visible()
    shoot(page, "ui-chat.png", tmp_path)

    page.reload()
    expect(page.locator("#timeline li.event.user", has_text="note buy milk")).to_be_visible()
    expect(page.locator("#timeline li.event.agent", has_text="Noted: 'buy milk'")).to_be_visible()
    expect(page.locator("#timeline li.event.agent", has_text="Welcome back!")).to_be_visible()
    expect(page.locator("#timeline li.partial")).to_have_count(0)  # partials are never stored

    send(page, "note eggs")
    expect(page.locator("#timeline li.event.agent", has_text="Noted: 'eggs'")).to_be_visible()
    page.click('#artifacts a[data-artifact="notes.md"]')
    expect(page.locator("#artifact-body pre")).to_contain_text("- eggs")
    expect(page.locator("#artifact-versions button")).to_have_count(2)
    page.click("#artifact-versions button >> text=v0")
    expect(page.locator("#artifact-body pre")).to_contain_text("- buy milk")
    expect(page.locator("#artifact-body pre")).not_to_contain_text("eggs")
    with page.expect_download() as download:
        page.click("#artifact-body a[download]")
    assert "- buy milk" in Path(download.value.path()).read_text()
    shoot(page, "ui-artifact.png", tmp_path)

    switch_user(page, "bob")
    expect(page.locator("#session")).to_be_hidden()
    expect(page.locator(f'#sessions a[data-session="{session_id}"]')).to_have_count(0)
    page.click("#new-session")
    expect(page.locator("#sessions a")).to_have_count(1)
    bob_session = page.locator("#sessions a.current").inner_text()
    switch_user(page, "alice")
    expect(page.locator(f'#sessions a[data-session="{session_id}"]')).to_have_count(1)
    expect(page.locator(f'#sessions a[data-session="{bob_session}"]')).to_have_count(0)


def test_paged_session_list(ui, tmp_path):
    from playwright.sync_api import expect

    page = ui
    switch_user(page, "carol")
    for _ in range(22):
        page.evaluate(
            "fetch('/apps/assistant/users/carol/sessions', {method: 'POST', "
            "headers: {'Content-Type': 'application/json'}, body: '{}'})"
        )
    page.wait_for_function(
        "fetch('/apps/assistant/users/carol/sessions').then(r => r.json())"
        ".then(s => s.length === 22)"
    )
    switch_user(page, "carol")
    expect(page.locator("#sessions a")).to_have_count(20)
    page.click("#more-sessions")
    expect(page.locator("#sessions a")).to_have_count(22)
    expect(page.locator("#more-sessions")).to_be_hidden()
    shoot(page, "ui-sessions.png", tmp_path)


def test_ui_with_auth_asks_for_a_token_and_keeps_users_apart(browser, live_server, h, tokens_file):
    from playwright.sync_api import expect
    from runners_server import ServerSettings, create_app

    settings = ServerSettings(
        agents=[f"{REPO}/examples/assistant.py:root_agent"],
        session_service="memory://",
        memory_service="memory://",
        artifact_service="memory://",
        auth_tokens_file=tokens_file,
    )
    server = live_server(create_app(settings))
    alice_token = next(t for t, user in h.tokens.items() if user == "alice")
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{server.url}/ui/")
        expect(page.locator("#token-label")).to_be_visible()
        expect(page.locator("#status")).to_contain_text("needs a token")
        page.fill("#token", alice_token)
        switch_user(page, "alice")
        expect(page.locator("#app")).to_have_value("assistant")
        page.click("#new-session")
        expect(page.locator("#sessions a")).to_have_count(1)
        # Alice's token cannot list Bob's sessions: the server refuses, the UI says so.
        switch_user(page, "bob")
        expect(page.locator("#status")).to_contain_text("cannot reach user 'bob'")
        expect(page.locator("#sessions a")).to_have_count(0)
    finally:
        context.close()
