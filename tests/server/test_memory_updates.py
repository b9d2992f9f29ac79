"""Updates, retractions and hints on conversations played through POST /v1/chat (issue 11's defects):
each test plays the user's turns as a client would and checks the memories that stay current."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import sse_events


async def _say(client, auth, text: str, thread_id: str | None = None, stream: bool = False):
    body = {"message": text, "thread_id": thread_id, "stream": stream}
    r = await client.post("/v1/chat", json={k: v for k, v in body.items() if v is not None}, headers=auth)
    assert r.status_code == 200, r.text
    return sse_events(r.text) if stream else r.json()


async def _current(client, auth) -> dict[str, list[str]]:
    items = (await client.get("/v1/memories", params={"limit": 200}, headers=auth)).json()["items"]
    found: dict[str, list[str]] = {}
    for m in items:
        found.setdefault(m["key"], []).append(m["value"])
    return found


async def test_a_retraction_of_a_hinted_memory_is_stored_not_a_500(client, auth):
    first = await _say(client, auth, "I like really detailed answers, the longer the better.")
    answer = await _say(client, auth, "actually forget the 'longer is better' thing, it takes me forever to read",
                        first["thread_id"])
    assert all("longer" not in v for values in (await _current(client, auth)).values() for v in values)
    assert any("longer" in m["value"] for m in answer["forgotten"])
    forgotten_ids = {m["id"] for m in answer["forgotten"]}
    assert not any(h["memory_id"] in forgotten_ids for h in answer["hints"])


async def test_forgetting_one_topic_keeps_the_others(client, auth):
    thread = (await _say(client, auth, "Je suis allergique aux arachides."))["thread_id"]
    await _say(client, auth, "Je dois rendre mon mémoire avant le 30 juin.", thread)
    await _say(client, auth, "Je suis végétarien.", thread)
    before = await _current(client, auth)
    assert {"constraint.allergy", "constraint.deadline", "constraint.diet"} <= set(before)
    answer = await _say(client, auth, "Oublie ce que je t'ai dit sur mon allergie.", thread)
    after = await _current(client, auth)
    assert "constraint.allergy" not in after
    assert after["constraint.deadline"] == before["constraint.deadline"]
    assert after["constraint.diet"] == before["constraint.diet"]
    assert [m["key"] for m in answer["forgotten"]] == ["constraint.allergy"]


async def test_a_move_replaces_the_city(client, auth):
    thread = (await _say(client, auth, "I live in Paris."))["thread_id"]
    await _say(client, auth, "I moved from Paris to Lyon last month.", thread)
    assert (await _current(client, auth))["profile.location"] == ["Lyon"]
    await _say(client, auth, "J'ai déménagé de Lyon à Nantes.", thread)
    assert (await _current(client, auth))["profile.location"] == ["Nantes"]
    answer = await _say(client, auth, "Any idea for a walk near home this weekend?", thread)
    assert not any("Paris" in h["text"] or "Lyon" in h["text"] for h in answer["hints"])


async def test_a_negated_preference_replaces_the_old_style_without_junk(client, auth):
    thread = (await _say(client, auth, "From now on, always give me answers in bullet points."))["thread_id"]
    assert "bullet" in (await _current(client, auth))["preference.reply_style"][0]
    await _say(client, auth, "Actually, I don't like bullet points any more, I prefer short paragraphs.", thread)
    current = await _current(client, auth)
    assert current["preference.reply_style"] == ["short paragraphs"]
    positive_keys = set(current) - {"preference.reply_style"}
    assert not positive_keys & {"preference.like", "preference.bullet", "preference.short"}, current


async def test_a_hint_never_shows_a_value_this_turn_replaced(client, auth):
    thread = (await _say(client, auth, "I live in Porto."))["thread_id"]
    answer = await _say(client, auth, "I live in Oslo and I love hiking.", thread)
    assert not any("Porto" in h["text"] for h in answer["hints"])
    assert (await _current(client, auth))["profile.location"] == ["Oslo"]


async def test_values_stop_at_emoji_other_scripts_and_markup(client, auth):
    answer = await _say(client, auth, "J'adore les sushis 🍣 et je vis à Zürich 🇨🇭 — 日本語も話せます")
    assert "Zürich" in {m["value"] for m in answer["memories"]}
    await _say(client, auth, "My name is <script>alert(1)</script>")
    values = [v for values in (await _current(client, auth)).values() for v in values]
    assert not any("<" in v or ">" in v or "🇨🇭" in v or "日本" in v for v in values), values


async def test_hints_speak_the_users_language(client, auth):
    thread = (await _say(client, auth, "J'habite à Paris."))["thread_id"]
    answer = await _say(client, auth, "Tu connais un bon resto près de chez moi où je vis ?", thread)
    assert answer["hints"], "a location reminder was expected"
    assert all("location" not in h["text"] for h in answer["hints"]), answer["hints"]


async def test_what_was_forgotten_is_in_the_answer_and_the_stream(client, auth):
    thread = (await _say(client, auth, "I love jazz."))["thread_id"]
    answer = await _say(client, auth, "Forget what I told you about jazz.", thread)
    assert [m["value"] for m in answer["forgotten"]] == ["jazz"]
    found = (await client.post("/v1/search", json={"query": "jazz", "types": ["message"]}, headers=auth)).json()
    assert not any(r["content"] == "I love jazz." for r in found["results"]), found  # the message left search
    history = (await client.get(f"/v1/threads/{thread}/messages", headers=auth)).json()["items"]
    assert "I love jazz." in [m["content"] for m in history]  # but stays in its thread
    await _say(client, auth, "I love rap.", thread)
    events = await _say(client, auth, "Please forget what I said about rap.", thread, stream=True)
    forgets = [d for k, d in events if k == "forget"]
    assert [m["value"] for m in forgets] == ["rap"]
    assert events[-1][0] == "done" and [m["value"] for m in events[-1][1]["forgotten"]] == ["rap"]


@pytest.mark.parametrize(("text", "day"), [
    ("I need to finish the report by April 15.", (4, 16)),  # "by": due once the day is over
    ("Je dois rendre mon dossier avant le 30 juin.", (6, 30)),  # "avant": due when the day starts
    ("I have to submit the grant application by 12/03.", (3, 13)),  # day first
])
async def test_deadlines_get_a_due_date_after_the_message(client, auth, text, day):
    answer = await _say(client, auth, text)
    [deadline] = [m for m in answer["memories"] if m["key"] == "constraint.deadline"]
    due = datetime.fromisoformat(deadline["due_at"]).astimezone(UTC)
    assert (due.month, due.day) == day
    assert datetime.now(UTC) < due < datetime.now(UTC) + timedelta(days=366)
