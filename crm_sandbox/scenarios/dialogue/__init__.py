"""The conversational caller's understanding and memory: intents (data), dialogue state, mood and replies.

Pure Python (no Flask, no database, no randomness): the same transcript always gives the same replies.
``text`` cleans and splits the adviser's message, ``intents`` reads the shared library
(``seed/dialogue/general.yaml``) and the scenario's own intents, ``mood`` moves patience and trust,
``state`` rebuilds what was asked and said from the history, ``replies`` words the answers.
"""
