"""`reviewer eval`: score review configurations against a corpus of labelled changes.

Stages, each a module with one job: ``corpus`` loads and validates the cases
(``labels`` reads their ``expected.yml``), ``matching`` pairs findings with
expected issues, ``scoring`` turns the pairs into precision, recall and F1,
``judge`` optionally asks a model about the location-matched pairs, ``runner``
reviews every case with every configuration through an injected function,
``gate`` decides whether the figures pass ``--min-f1``/``--min-precision``, and
``report`` renders the text table and the JSON document.
"""
