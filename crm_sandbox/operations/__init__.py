"""The write side: one small function per action that changes state and appends the events that evidence it."""
