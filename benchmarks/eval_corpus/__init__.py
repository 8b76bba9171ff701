"""The seeded-bug corpus for `reviewer eval`, built from pinned releases nobody here wrote.

    python -m benchmarks.eval_corpus --out corpus/ [--cache-dir DIR] [--offline] [--no-tree]

``sources`` fetches the pinned archives (PyPI sdists, npm tarballs) into a
local cache; ``python_ops``/``python_security`` (on ``pyast``) and ``js_ops``
(on ``jsmask``) seed labelled bugs with our own mutation operators,
``refactors`` makes the clean cases, ``patch`` writes the diffs; ``build`` picks
the places deterministically and writes the cases. See README.md beside this
file.
"""
