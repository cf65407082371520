"""The write side of quality assurance: countersignatures, IQA verdicts and answers, standardisation, and
the trainer's records of assessors' standing and EQA accounts. Each is evidence (ledger-covered rows;
countersignatures and verdicts also events on the contact's own stream)."""
