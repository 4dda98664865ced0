"""loop-live: live sessions for the Loop Platform."""

__version__ = "0.1.0"
