"""Practice without a live interviewer: rehearsal, feedback on a spoken answer, drills, job-ad coverage."""
