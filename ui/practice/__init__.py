"""Rehearsal, drill, job-ad coverage and mock interview windows, and the answer-recording panel they share."""
