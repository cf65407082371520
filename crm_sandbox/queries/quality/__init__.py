"""The read side of quality assurance: who may see which cohort, countersignatures and provisional
decisions, the sampling plan and its verdicts, standardisation (blind until submission), the IQA report."""
