"""Registrations: who holds a seat, who waits for one."""
