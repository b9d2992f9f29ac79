"""Check a labelled extraction file (the shape of shared/data/extraction/README.md) before it joins the corpus.

    python scripts/check_corpus.py FILE.jsonl [--sequences]

Prints one line per problem and a summary (items, languages, categories, no-memory share); exits 1 on a problem.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections import Counter

CATEGORIES = {"profile", "preference", "constraint", "intent", "goal", "business", "fact"}
TAGS = {"simple", "multi", "buried", "rambling", "typo", "emoji", "codeswitch", "negation", "hedged",
        "context-needed", "pii", "injection", "one-off", "question", "smalltalk", "hypothetical", "third-party",
        "quote", "sarcasm", "generic", "no-memory", "indirect", "sms", "long"}
SEQ_TAGS = {"move", "job-change", "diet-change", "diet", "name-correction", "correction", "budget-change",
            "deadline-change", "forget", "retraction", "preference-change", "restatement", "no-duplicate",
            "temporary", "one-off"}


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def check_memory(where: str, mem: dict, grounding: str | None, problems: list[str]) -> None:
    if mem.get("category") not in CATEGORIES:
        problems.append(f"{where}: unknown category {mem.get('category')!r}")
    for field in ("key", "value"):
        if not isinstance(mem.get(field), str) or not mem[field].strip():
            problems.append(f"{where}: missing {field}")
    if mem.get("polarity", "positive") not in ("positive", "negative"):
        problems.append(f"{where}: polarity must be positive or negative")
    match = mem.get("match")
    if not isinstance(match, list) or not match or not all(isinstance(m, str) and m.strip() for m in match):
        problems.append(f"{where}: match must be a non-empty list of strings")
        return
    if any(m != m.lower() for m in match):
        problems.append(f"{where}: match strings must be lowercase")
    if grounding is not None and not any(fold(m) in fold(grounding) for m in match):
        problems.append(f"{where}: no match string appears in the message (or its context): {match}")


def check_item(item: dict, problems: list[str]) -> None:
    where = item.get("id", "?")
    if item.get("lang") not in ("fr", "en"):
        problems.append(f"{where}: lang must be fr or en")
    if not isinstance(item.get("text"), str) or not item["text"].strip():
        problems.append(f"{where}: missing text")
        return
    context = item.get("context", [])
    if not isinstance(context, list) or any(set(t) - {"role", "content"} for t in context):
        problems.append(f"{where}: context must be a list of {{role, content}}")
        context = []
    grounding = item["text"] + "\n" + "\n".join(t.get("content", "") for t in context)
    expected = item.get("expected")
    if not isinstance(expected, list):
        problems.append(f"{where}: expected must be a list")
        return
    for mem in expected:
        check_memory(where, mem, grounding, problems)
    tags = set(item.get("tags", []))
    if unknown := tags - TAGS:
        problems.append(f"{where}: unknown tags {sorted(unknown)}")
    if ("no-memory" in tags) != (not expected):
        problems.append(f"{where}: 'no-memory' tag iff expected is empty")


def check_sequence(item: dict, problems: list[str]) -> None:
    where = item.get("id", "?")
    if item.get("lang") not in ("fr", "en"):
        problems.append(f"{where}: lang must be fr or en")
    turns = item.get("turns")
    if not isinstance(turns, list) or not 3 <= len(turns) <= 8 or not all(isinstance(t, str) for t in turns):
        problems.append(f"{where}: turns must be 3 to 8 strings")
        return
    for mem in item.get("final_memories", []):
        check_memory(where, mem, "\n".join(turns), problems)
    for entry in item.get("must_not_contain", []):
        if entry.get("category") not in CATEGORIES or not entry.get("match"):
            problems.append(f"{where}: must_not_contain entries need a category and match")
    if unknown := set(item.get("tags", [])) - SEQ_TAGS:
        problems.append(f"{where}: unknown tags {sorted(unknown)}")


def main(argv: list[str]) -> int:
    path, sequences = argv[0], "--sequences" in argv
    problems: list[str] = []
    items, ids = [], Counter()
    with open(path, encoding="utf-8") as handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"line {n}: not JSON ({exc})")
                continue
            items.append(item)
            ids[item.get("id")] += 1
            (check_sequence if sequences else check_item)(item, problems)
    problems += [f"{i}: duplicate id" for i, c in ids.items() if c > 1]
    for p in problems:
        print(p)
    langs = Counter(i.get("lang") for i in items)
    if sequences:
        tags = Counter(t for i in items for t in i.get("tags", []))
        print(f"{len(items)} sequences, {dict(langs)}, tags {dict(tags)}")
    else:
        cats = Counter(m["category"] for i in items for m in i.get("expected", []) if "category" in m)
        empty = sum(1 for i in items if not i.get("expected"))
        print(f"{len(items)} items, {dict(langs)}, no-memory {empty}, memories {dict(cats)}")
    print(f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
