"""The job limits `glasslm serve` can change, with their defaults for a 2-core machine.

Kept apart from jobs.py (which needs the web stack) so the CLI can show them in
its help without importing FastAPI.
"""

MAX_JOBS_PER_SESSION = 2  # background runs one browser may have going at once
MAX_JOBS_GLOBAL = 4  # on the whole server: 2 cores are easily swamped
FINISHED_PER_SESSION = 4  # finished runs kept per learner (each may hold a trained model)
