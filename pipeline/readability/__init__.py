"""Readability: how hard each handout and translation is to read, whether it meets
its target, and which sentences and words to change.

    targets.py     which targets exist, and which measure reads a language
    prose.py       blocks -> the visible text, split into sentences
    english.py     textstat measures with the CMU dictionary (offline)
    devanagari.py  aksharas and the Devanagari measures (Marathi, Hindi)
    spanish.py     textstat's Spanish formulas (Szigriszt-Pazos/INFLESZ, Fernández-Huerta)
    wordlist.py    hard words and plainer ones (pipeline/data/plain_words.yaml)
    scoring.py     one sentence: hard or not, and why; a block's grade for translators
    measure.py     handouts and translations -> Report (figures, targets, sections)
    checks.py      flags: hard sentences and words, passive voice, clear communication
    report.py      JSON and the HTML report

The command ``python -m pipeline check`` and its terminal summary are in
``pipeline/commands/check.py``.
"""
