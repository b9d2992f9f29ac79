"""The web app, used as a person would: sign in, chat, watch the answer stream, find what was learned on the
dashboard, correct it, forget it, give hint feedback, and check that nothing leaks between users or runs as
markup. Every test also fails on a console error or a CSP violation (tests/web/conftest.py)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx

from graphs.runner import turn_config
from tests.conftest import make_key
from tests.web.conftest import open_page, ready, send, shot, sign_in

# Records every token the answer bubble showed, from before the first one: proof that it streamed.
WATCH_STREAM = """() => {
  window.__shown = [];
  new MutationObserver((records) => {
    for (const record of records) {
      const node = document.querySelector('#streaming');
      if (node && record.target === node) window.__shown.push(node.textContent.length);
    }
  }).observe(document.querySelector('#messages'), {subtree: true, childList: true, characterData: true});
}"""

# Form controls and buttons a screen reader could not name (no label, aria-label or text).
UNNAMED_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 80))"""


async def test_sign_in_keeps_the_key_in_session_storage_only(page, live_url, user_key, caplog):
    caplog.set_level(logging.DEBUG)
    await page.goto(live_url + "/")
    assert await page.is_visible("#api-key")
    await shot(page, "sign-in")
    await page.fill("#api-key", "mnemo_not_a_key")
    await page.press("#api-key", "Enter")
    await page.wait_for_selector("text=invalid, revoked or expired API key")
    await sign_in(page, live_url, user_key)
    assert await page.text_content("#who") == "signed in with a key"
    storage = await page.evaluate("() => [sessionStorage.getItem('mnemo.apiKey'), JSON.stringify(localStorage)]")
    assert storage[0] == user_key and user_key not in storage[1]
    assert user_key not in page.url
    await page.click("text=Sign out")
    await page.wait_for_selector("#api-key")
    assert await page.evaluate("() => sessionStorage.getItem('mnemo.apiKey')") is None
    assert not [r for r in caplog.records if user_key in r.getMessage()], "the key reached a log line"


async def test_chat_streams_and_shows_what_the_turn_learned(page, live_url, user_key):
    await sign_in(page, live_url, user_key)
    await page.evaluate(WATCH_STREAM)
    await send(page, "Hi! I live in Bergen and I'm vegetarian. Plan a dinner for me?")
    shown = await page.evaluate("() => window.__shown")
    assert len({n for n in shown if n > 0}) >= 2, f"the answer did not stream: {shown}"
    assert await page.text_content("#turn-agent") == "planner"
    learned = await page.inner_text("#turn-learned")
    assert "profile.location: Bergen" in learned and "constraint.diet: vegetarian" in learned
    reply = await page.inner_text(".message.assistant >> nth=-1")
    assert reply.startswith("You said")
    threads = page.locator("#thread-list li")
    assert await threads.count() == 1 and "thread=" in page.url  # the first message opened a thread
    await shot(page, "chat")


async def test_memory_learned_in_chat_is_corrected_then_forgotten(page, live_url, user_key, runtime, principal):
    await sign_in(page, live_url, user_key)
    await send(page, "I live in Bergen.")
    thread_id = page.url.split("thread=")[1]
    await page.click("#turn-learned a")  # the learned memory links to the dashboard
    await page.wait_for_selector("#memory-history")
    assert await page.text_content("#memory-value") == "Bergen"
    assert await page.get_attribute("#memory-source", "href") == f"/?thread={thread_id}"

    await page.click("#correct-memory")
    await page.fill("#correct-value", "Oslo")
    await page.fill("#correct-reason", "moved in May")
    await page.click("dialog >> text=Save correction")
    await page.wait_for_selector("#memory-history .correction")
    history = await page.inner_text("#memory-history")
    assert "Corrected Bergen → Oslo" in history and "reason: moved in May" in history
    assert await page.text_content("#memory-value") == "Oslo"
    assert await page.text_content("#stat-corrections .value") == "1"
    await shot(page, "memory-history")
    dashboard_url = page.url

    await page.goto(f"{live_url}/?thread={thread_id}")
    await ready(page)
    await send(page, "What should I pack for the weekend?")  # the fake model names what it remembers
    assert "Oslo" in await page.inner_text(".message.assistant >> nth=-1")
    await page.goto(dashboard_url)
    await page.wait_for_selector("#memory-history")

    await page.click("#forget-memory")  # confirm() is accepted by the fixture
    await page.wait_for_selector("#memory-detail >> text=Forgotten.")
    rows = await page.inner_text("#memory-rows")
    assert "Oslo" not in rows and "Bergen" not in rows
    await page.check("#filter-history")  # not kept as a past version either
    await page.wait_for_selector("#memory-count >> text=0 shown of 0")

    await page.goto(f"{live_url}/?thread={thread_id}")
    await ready(page)
    await send(page, "What should I pack for the weekend?")
    assert "Oslo" not in await page.inner_text(".message.assistant >> nth=-1")
    state = await runtime.graph.aget_state(turn_config(thread_id=thread_id, tenant_id=principal.tenant_id,
                                                       user_id=principal.user_id, agent=None))
    assert not [m for m in state.values["context_memories"] if m["key"] == "profile.location"]


async def test_dismissed_hint_is_not_offered_again(page, live_url, user_key):
    async with httpx.AsyncClient(base_url=live_url, headers={"Authorization": f"Bearer {user_key}"}) as api:
        await api.post("/v1/memories", json={"category": "preference", "key": "preference.music", "value": "jazz"})
    await sign_in(page, live_url, user_key)
    await send(page, "Any music recommendation for tonight?")
    hint = page.locator("#turn-hints .hint", has_text="jazz")
    assert await hint.count() == 1
    await shot(page, "chat-hint")
    await hint.locator("text=Dismiss").click()
    await page.wait_for_selector("#turn-hints .hint.done")
    await page.click("#new-thread")  # a new thread: the once-per-thread rule does not apply there
    await page.wait_for_selector("#messages >> text=No messages yet.")
    await send(page, "Any music recommendation for tonight?")
    assert await page.locator("#turn-hints .hint", has_text="jazz").count() == 0
    await page.goto(live_url + "/memories")
    await ready(page)
    assert "dismissed 100%" in await page.inner_text("#stat-hints")


async def test_stored_markup_is_shown_as_text(page, live_url, user_key):
    attack = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    async with httpx.AsyncClient(base_url=live_url, headers={"Authorization": f"Bearer {user_key}"}) as api:
        stored = await api.post("/v1/memories", json={"category": "fact", "key": "fact.note", "value": attack})
        assert stored.status_code == 201
    await sign_in(page, live_url, user_key, "/memories")
    assert attack in await page.inner_text("#memory-rows")
    await page.goto(live_url + "/")
    await ready(page)
    await send(page, f"Remember this: {attack} and [click](javascript:alert(1))")
    bubbles = await page.inner_text("#messages")
    assert attack in bubbles
    assert await page.evaluate("() => window.__pwned") is None
    assert await page.locator("#messages img, #messages script, #messages a[href^='javascript']").count() == 0


async def test_another_users_key_sees_none_of_it(browser, live_url, user_key, resources, principal):
    first = await open_page(browser)
    await sign_in(first.page, live_url, user_key)
    await send(first.page, "I live in Bergen.")
    thread_url = first.page.url
    await first.page.context.close()

    other_key = await make_key(resources, principal.tenant_id, "mallory")
    second = await open_page(browser)
    page = second.page
    await sign_in(page, live_url, other_key)
    assert await page.inner_text("#thread-list") == "No threads yet."
    await page.goto(thread_url)  # the first user's thread id, by URL
    await ready(page)
    assert "Bergen" not in await page.inner_text("main")
    await page.wait_for_selector("#notices >> text=not found")
    await page.goto(live_url + "/memories")
    await ready(page)
    assert await page.text_content("#stat-current .value") == "0"
    await page.context.close()
    assert second.problems == []


async def test_graph_page_draws_the_last_turn(page, live_url, user_key):
    await sign_in(page, live_url, user_key)
    await send(page, "Write a SQL query counting users.")
    await page.goto(live_url + "/graph")
    await ready(page)
    ran = await page.eval_on_selector_all("#turn-graph .node.ran", "nodes => nodes.map(n => n.dataset.node)")
    assert ran == ["load_memory", "retrieve", "route", "generate", "extract", "hint", "persist"]
    assert await page.locator("#turn-graph .edge.ran").count() == 8  # start -> 7 nodes -> end
    assert await page.locator("#node-times .bar").count() == 7
    assert "coder" in await page.inner_text("#last-turn")
    await shot(page, "graph", full_page=True)


async def test_usage_page_counts_the_turns(page, live_url, user_key):
    await sign_in(page, live_url, user_key)
    await send(page, "Hello there.")
    await send(page, "Hello again.")
    await page.goto(live_url + "/usage")
    await ready(page)
    row = await page.inner_text("#usage-rows tr >> nth=0")
    assert "fake" in row and "\t2\t" in row  # two calls today
    assert await page.locator("#usage-chart rect.bar-in").count() == 30
    await shot(page, "usage")


async def test_local_mode_needs_no_sign_in(page, local_url):
    await page.goto(local_url + "/memories")
    await ready(page)
    assert await page.text_content("#who") == "local mode"
    assert not await page.is_visible("#api-key")
    await page.click("#add-memory")
    await page.select_option("#add-category", "preference")
    await page.fill("#add-key", "preference.coffee")
    await page.fill("#add-value", "flat white")
    await page.click("dialog button[type=submit]")
    await page.wait_for_selector("#memory-rows >> text=flat white")
    await page.wait_for_selector("#stat-current .value >> text=1")


async def test_keyboard_phone_size_and_dark_theme(browser, live_url, user_key):
    watched = await open_page(browser, viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = watched.page
    await sign_in(page, live_url, user_key)
    assert await page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    background = await page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 23, 27)"
    await page.focus("#message")
    await page.keyboard.type("Hello from the keyboard.")
    await page.keyboard.press("Enter")
    await page.wait_for_selector(".message.assistant:not(.streaming) >> text=keyboard")
    async with httpx.AsyncClient(base_url=live_url, headers={"Authorization": f"Bearer {user_key}"}) as api:
        for key, value in (("preference.music", "jazz"), ("constraint.diet", "vegetarian")):
            await api.post("/v1/memories", json={"category": key.split(".")[0], "key": key, "value": value})
    for path in ("/", "/graph", "/usage", "/memories"):
        await page.goto(live_url + path)
        await ready(page)
        assert await page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), path
        assert await page.evaluate(UNNAMED_CONTROLS) == [], path
    assert "vegetarian" in await page.inner_text("#memory-rows")
    await shot(page, "memories-phone-dark", full_page=True)
    await page.context.close()
    assert watched.problems == []


async def test_filters_bulk_forget_and_export(page, live_url, user_key):
    async with httpx.AsyncClient(base_url=live_url, headers={"Authorization": f"Bearer {user_key}"}) as api:
        await api.post("/v1/memories/bulk", json={"items": [
            {"category": "preference", "key": "preference.music", "value": "jazz"},
            {"category": "preference", "key": "preference.drink", "value": "green tea"},
            {"category": "constraint", "key": "constraint.diet", "value": "vegetarian"}]})
    await sign_in(page, live_url, user_key, "/memories")
    await page.fill("#filter-text", "tea")  # words filter as you type
    await page.wait_for_selector("#memory-count >> text=1 shown of 3")
    await page.fill("#filter-text", "saxophone concerts")
    await page.click("#search-meaning")  # no shared word: found by meaning
    await page.wait_for_selector("#memory-count >> text=(by meaning)")
    assert "jazz" in await page.inner_text("#memory-rows >> tr >> nth=0")
    await page.fill("#filter-text", "")
    await page.select_option("#filter-category", "preference")
    await page.wait_for_selector("#memory-count >> text=2 shown of 2")
    await page.check("#select-all")
    await page.click("#forget-selected")  # confirm() is accepted by the fixture
    await page.wait_for_selector("#memory-count >> text=0 shown of 0")
    await page.select_option("#filter-category", "")
    await page.wait_for_selector("#memory-count >> text=1 shown of 1")
    assert "vegetarian" in await page.inner_text("#memory-rows")
    async with page.expect_download() as download:
        await page.click("#export")
    exported = json.loads(Path(await (await download.value).path()).read_text())
    assert [m["value"] for m in exported["memories"]] == ["vegetarian"]
    await page.click("#delete-everything")
    await page.fill("#erase-confirm", "keep")
    await page.click("dialog button[type=submit]")
    await page.wait_for_selector("dialog .error >> text=Type \"delete\" to confirm.")  # a wrong word erases nothing
    await page.fill("#erase-confirm", "delete")
    await page.click("dialog button[type=submit]")
    await page.wait_for_selector("#api-key")  # signed out: the key went with everything else
    async with httpx.AsyncClient(base_url=live_url, headers={"Authorization": f"Bearer {user_key}"}) as api:
        assert (await api.get("/v1/memories")).status_code == 401


async def test_a_long_thread_opens_on_its_newest_messages(page, live_url, user_key):
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i}"} for i in range(250)]
    async with httpx.AsyncClient(base_url=live_url, headers={"Authorization": f"Bearer {user_key}"}) as api:
        thread_id = (await api.post("/v1/threads/import", json={"messages": messages})).json()["thread_id"]
    await sign_in(page, live_url, user_key, f"/?thread={thread_id}")
    shown = page.locator("#messages .message")
    assert await shown.count() == 100
    assert (await shown.nth(0).inner_text()).startswith("message 150")  # the newest 100 of 250
    await page.click("#earlier")
    await page.wait_for_function("() => document.querySelectorAll('#messages .message').length === 200")
    await page.click("#earlier")
    await page.wait_for_function("() => document.querySelectorAll('#messages .message').length === 250")
    assert await page.locator("#earlier").count() == 0
    assert (await shown.nth(0).inner_text()).startswith("message 0")
    assert (await shown.nth(249).inner_text()).startswith("message 249")
