"""The read side: permission-checked reads and read models for the desk, the review, dashboards, KPIs and exports."""
