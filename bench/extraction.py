"""`mnemo bench extraction`: how well the extraction pipeline finds the memories a hand-labelled corpus expects.

Why a scorer of our own: the corpus README defines the scoring (normalised substring match within the same
category, micro precision/recall over the file, false-memory rates on items that must store nothing), and
every figure we quote must be computed exactly that way, whatever extractor is plugged in. The functions are
pure so the CLI, the tests and a notebook can all call them:

    result = run_messages(Path("dev.jsonl"), ids=select_ids(items, "dev-001..dev-080"))
    print(format_report(result))
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = ["format_comparison", "format_report", "load_items", "normalise", "run_messages", "score_messages",
           "select_ids"]

ExtractFn = Callable[[str, list[dict]], list[dict]]
FALSE_MEMORY_TAGS = ("no-memory", "injection", "pii")


def normalise(text: str) -> str:
    """Lowercase, NFKD, combining marks dropped: "é" matches "e" ("œ" stays, as the README says)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _matches(extracted: dict, expected: dict) -> bool:
    value = normalise(str(extracted.get("value", "")))
    return extracted.get("category") == expected["category"] and any(normalise(m) in value
                                                                       for m in expected["match"])


class _Tally:
    """True positives / extracted for precision, matched / expected for recall."""

    def __init__(self) -> None:
        self.tp = self.extracted = self.matched = self.expected = 0

    def figures(self) -> dict[str, float | int]:
        precision = self.tp / self.extracted if self.extracted else 1.0
        recall = self.matched / self.expected if self.expected else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1, "tp": self.tp, "extracted": self.extracted,
                "matched": self.matched, "expected": self.expected}


def score_messages(items: Iterable[dict], extract_fn: ExtractFn) -> dict[str, Any]:
    """Score `extract_fn(text, context) -> [{category, value, polarity, ...}]` on single-message items.

    Returns overall micro figures, the same per category (precision by extracted category, recall by expected
    category), per language and per tag, false-memory rates, polarity agreement, the mean extraction time,
    and per-item details (`items`) for error analysis. Retractions (`action: "forget"`) are not memories and
    are left out of the count.
    """
    overall, by_lang, by_tag = _Tally(), defaultdict(_Tally), defaultdict(_Tally)
    by_cat: defaultdict[str, _Tally] = defaultdict(_Tally)
    false_memory = {tag: [0, 0] for tag in FALSE_MEMORY_TAGS}  # [items with any extraction, items]
    polarity = [0, 0]  # [agreeing pairs, matched pairs]
    details, seconds = [], 0.0
    for item in items:
        start = time.perf_counter()
        found = extract_fn(item["text"], item.get("context") or [])
        extracted = [x for x in found if x.get("action", "add") == "add"]  # a retraction stores nothing
        seconds += time.perf_counter() - start
        expected = item["expected"]
        tags = item.get("tags", [])
        tallies = [overall, by_lang[item.get("lang", "?")], *(by_tag[t] for t in tags)]
        hits = [any(_matches(x, e) for e in expected) for x in extracted]
        found = [any(_matches(x, e) for x in extracted) for e in expected]
        for tally in tallies:
            tally.tp += sum(hits)
            tally.extracted += len(extracted)
            tally.matched += sum(found)
            tally.expected += len(expected)
        for x, hit in zip(extracted, hits, strict=True):
            by_cat[x.get("category", "?")].extracted += 1
            by_cat[x.get("category", "?")].tp += hit
        for e, hit in zip(expected, found, strict=True):
            by_cat[e["category"]].expected += 1
            by_cat[e["category"]].matched += hit
            for x in extracted:
                if _matches(x, e):
                    polarity[1] += 1
                    polarity[0] += x.get("polarity", "positive") == e.get("polarity", "positive")
        for tag in FALSE_MEMORY_TAGS:  # among items that must store nothing
            if tag in tags and not expected:
                false_memory[tag][0] += bool(extracted)
                false_memory[tag][1] += 1
        details.append({"id": item.get("id"), "lang": item.get("lang"), "tags": tags,
                        "missed": [e for e, hit in zip(expected, found, strict=True) if not hit],
                        "spurious": [x for x, hit in zip(extracted, hits, strict=True) if not hit]})
    return {
        "overall": overall.figures(),
        "by_category": {k: v.figures() for k, v in sorted(by_cat.items())},
        "by_language": {k: v.figures() for k, v in sorted(by_lang.items())},
        "by_tag": {k: v.figures() for k, v in sorted(by_tag.items())},
        "false_memory": {tag: {"rate": n / total if total else 0.0, "items": n, "of": total}
                         for tag, (n, total) in false_memory.items()},
        "polarity_agreement": polarity[0] / polarity[1] if polarity[1] else 1.0,
        "polarity_pairs": polarity[1],
        "items_scored": len(details),
        "mean_ms": 1000 * seconds / len(details) if details else 0.0,
        "items": details,
    }


def load_items(path: Path) -> list[dict]:
    """One JSON object per non-blank line."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


_RANGE = re.compile(r"(?P<prefix>.*?)(?P<lo>\d+)\.\.(?P=prefix)?(?P<hi>\d+)")


def select_ids(items: Iterable[dict], spec: str) -> set[str]:
    """Ids named by `spec`: comma-separated ids or inclusive ranges ("dev-001..dev-080,dev-120")."""
    wanted: set[str] = set()
    numbered = [(item["id"], re.search(r"(\d+)$", item["id"])) for item in items]
    for part in filter(None, (p.strip() for p in spec.split(","))):
        m = _RANGE.fullmatch(part)
        if not m:
            wanted.add(part)
            continue
        lo, hi = int(m["lo"]), int(m["hi"])
        wanted |= {i for i, n in numbered if n and i.startswith(m["prefix"]) and lo <= int(n[1]) <= hi}
    return wanted


def run_messages(path: Path, ids: Iterable[str] | None = None, extract_fn: ExtractFn | None = None
                 ) -> dict[str, Any]:
    """Score `memory.extraction.extract_memories` (or `extract_fn`) on a JSONL file, optionally on `ids` only."""
    items = load_items(path)
    if ids is not None:
        keep = set(ids)
        items = [item for item in items if item["id"] in keep]
    if extract_fn is None:
        from memory.extraction import extract_memories  # imported here (not timed): the scorer needs no pipeline

        extract_fn = extract_memories
    return score_messages(items, extract_fn)


def _row(name: str, f: dict) -> str:
    return (f"{name:<16} {f['precision']:>6.3f} {f['recall']:>6.3f} {f['f1']:>6.3f} "
            f"{f['tp']:>5}/{f['extracted']:<5} {f['matched']:>5}/{f['expected']:<5}")


def format_report(result: dict[str, Any], title: str = "extraction", show_tags: bool = False) -> str:
    """A plain-text table: overall, per category, per language (and per tag), then the false-memory rates."""
    header = f"{'':<16} {'P':>6} {'R':>6} {'F1':>6} {'tp/extracted':>11} {'matched/expected':>16}"
    lines = [f"== {title}: {result['items_scored']} items, {result['mean_ms']:.3f} ms/item ==", header,
             _row("overall", result["overall"])]
    sections = [("category", result["by_category"]), ("language", result["by_language"])]
    if show_tags:
        sections.append(("tag", result["by_tag"]))
    for label, table in sections:
        lines.append(f"-- per {label}")
        lines += [_row(name, figures) for name, figures in table.items()]
    lines.append("-- false-memory rate (items with any extraction)")
    lines += [f"{tag:<16} {fm['rate']:>6.3f} ({fm['items']}/{fm['of']})" for tag, fm in result["false_memory"].items()]
    lines.append(f"polarity agreement on matched pairs: {result['polarity_agreement']:.3f} "
                 f"({result['polarity_pairs']} pairs)")
    return "\n".join(lines)


def _pair(name: str, base: dict, new: dict) -> str:
    return (f"{name:<16} {base['precision']:>6.3f} {base['recall']:>6.3f}   {new['precision']:>6.3f}"
            f" {new['recall']:>6.3f} {new['f1']:>6.3f} {new['tp']:>5}/{new['extracted']:<5}"
            f" {new['matched']:>5}/{new['expected']:<5}")


def format_comparison(baseline: dict[str, Any], result: dict[str, Any], title: str, show_tags: bool = False) -> str:
    """Rules only (the baseline, same run) beside the whole pipeline: overall, per category and language,
    false-memory rates."""
    empty = {"precision": 1.0, "recall": 1.0, "f1": 0.0, "tp": 0, "extracted": 0, "matched": 0, "expected": 0}
    lines = [f"== {title}: {result['items_scored']} items; rules {baseline['mean_ms']:.2f} ms/item, "
             f"rules + learned {result['mean_ms']:.2f} ms/item ==",
             f"{'':<16} {'rules P':>6} {'R':>6}   {'+learned P':>6} {'R':>6} {'F1':>6} {'tp/extracted':>11} "
             f"{'matched/expected':>16}",
             _pair("overall", baseline["overall"], result["overall"])]
    sections = ["by_category", "by_language"] + (["by_tag"] if show_tags else [])
    for section in sections:
        lines.append(f"-- {section.replace('_', ' ')}")
        names = sorted(set(baseline[section]) | set(result[section]))
        lines += [_pair(n, baseline[section].get(n, empty), result[section].get(n, empty)) for n in names]
    lines.append("-- false-memory rate (items with any extraction): rules -> rules + learned")
    lines += [f"{tag:<16} {baseline['false_memory'][tag]['rate']:>6.3f} -> {fm['rate']:.3f} ({fm['items']}/{fm['of']})"
              for tag, fm in result["false_memory"].items()]
    lines.append(f"polarity agreement on matched pairs: {result['polarity_agreement']:.3f} "
                 f"({result['polarity_pairs']} pairs)")
    return "\n".join(lines)
