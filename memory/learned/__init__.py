"""The learned stage of extraction: a clause classifier that generalizes to wordings no rule was written for.

Why: rules are precise on the wordings they were written against and blind to the rest (their own held-out
recall stayed near 0.5 while their practice set reached 0.94). This stage reads every clause of a message as
features (its MiniLM embedding, the model the embeddings already ship, plus hashed character n-grams that
survive typos and missing accents) and says whether it states a memory about the user, of which category
and which key family; a small grammar (`grammar.py`) then finds the value in the clause. It runs on the CPU
in a few milliseconds per message, needs nothing remote, and is trained reproducibly from the repository's
own corpus (`mnemo train extractor`, fixed seed): see docs/memory.md.

Modules: `clauses` (split a message into clauses), `features` (clause -> vector), `model` (the trained
weights and prediction), `grammar` (the value of a clause), `train` (corpus -> weights).
"""
