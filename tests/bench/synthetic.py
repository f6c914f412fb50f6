"""A large synthetic story library for retrieval benchmarks: the example stories recombined."""

from __future__ import annotations

import random

from copilot.stories.model import Story

DOMAINS = ["search", "ads", "payments", "fraud", "maps", "music", "retail", "health", "logistics", "chat"]
VERBS = ["Cut", "Raised", "Rebuilt", "Rescued", "Scaled", "Simplified", "Migrated", "Stabilised"]


def synthetic_library(examples: list[Story], count: int, seed: int = 7) -> list[Story]:
    rng = random.Random(seed)
    stories = []
    for n in range(count):
        base = examples[n % len(examples)]
        donor = rng.choice(examples)
        domain, verb, pct = rng.choice(DOMAINS), rng.choice(VERBS), rng.randint(5, 90)
        sections = {
            "situation": f"In the {domain} team, " + base.section("situation"),
            "task": donor.section("task"),
            "action": base.section("action"),
            "result": f"{verb} the key metric by {pct}%. " + donor.section("result"),
            "lessons": base.section("lessons"),
        }
        stories.append(
            Story.new(f"s{n:04d}", f"{verb} {domain} {base.title.lower()}", base.competencies, sections=sections)
        )
    return stories
