"""The read side of Level 3 work: opt-ins, what a reviewer may see (with names removed), tasks and how
their scoring compares, the team dashboard, the complaints to analyse."""
