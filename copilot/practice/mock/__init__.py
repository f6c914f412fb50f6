"""The mock interviewer: a loop of rounds per role and level, follow-up probes chosen from what an
answer lacks or claims, and rubric grading with the quoted evidence (issue 14). No Qt, no models:
the words of the answer are all it needs, so it runs the same offline on every machine."""
