"""Quality assurance, the pure part: agreement statistics and the risk-based sampling plan. No Flask, no
database (like ``compliance/``): plain data in, figures and choices out."""
