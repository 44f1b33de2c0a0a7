"""Running a student's notebook where it can do no harm: its own kernel process, limits on
time and memory, no network, and a guard that keeps the checking machinery honest."""
from .limits import Limits
