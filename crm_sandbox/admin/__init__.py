"""Administration above the reports: resets, the evidence archive, packs, GDPR duties, the demo."""
