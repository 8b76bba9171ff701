"""The corpus built from other scanners' published formats holds for both scan paths.

A slice of the corpus (six contexts per provider family, every negative) runs as one
diff through the scan with kingfisher's rules and with our layers alone; the full
corpus and its per-family table are `benchmarks/secrets.py`'s.
"""

from __future__ import annotations

import pytest

from reviewer.secrets.engines import KingfisherEngine, NoRuleEngine, ProviderEngine, default_engine
from tests.secrets_corpus.corpus import Corpus, Sample, build_corpus, render
from tests.secrets_corpus.evaluate import Outcome, evaluate
from tests.secrets_corpus.families import FAMILIES


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus(seed=11, contexts_per_family=6)


@pytest.fixture(scope="module", params=["kingfisher", "own-layers"])
def outcomes(request: pytest.FixtureRequest, corpus: Corpus) -> tuple[Outcome, ...]:
    engine: ProviderEngine = NoRuleEngine()
    if request.param == "kingfisher":
        if not isinstance(default_engine(), KingfisherEngine):
            pytest.skip("kingfisher-secret-scanner has no wheel for this platform")
        engine = default_engine()
    return evaluate(corpus.samples, engine)


def test_no_generated_secret_would_be_sent(outcomes: tuple[Outcome, ...]) -> None:
    sent = [o.sample for o in outcomes if o.sent]

    assert sent == []


def test_nearly_every_generated_secret_is_reported(outcomes: tuple[Outcome, ...]) -> None:
    positives = [o for o in outcomes if o.sample.positive]
    missed = [(o.sample.family, o.sample.context) for o in positives if not o.flagged]

    assert len(missed) <= 0.05 * len(positives), missed


def test_placeholders_examples_hashes_and_references_are_not_reported(
    outcomes: tuple[Outcome, ...],
) -> None:
    reported = [
        (o.sample.family, o.sample.text) for o in outcomes if not o.sample.positive and o.findings
    ]

    assert reported == []


def test_every_family_appears_in_the_slice(corpus: Corpus) -> None:
    assert {s.family for s in corpus.positives} == {f.name for f in FAMILIES}
    assert all(s.secret in s.text for s in corpus.positives)


def test_the_corpus_is_the_same_for_a_seed_and_new_for_another() -> None:
    first = build_corpus(seed=3, contexts_per_family=2)

    assert build_corpus(seed=3, contexts_per_family=2) == first
    assert build_corpus(seed=4, contexts_per_family=2).positives != first.positives


def test_a_secret_counts_as_sent_while_eight_characters_of_its_random_part_remain() -> None:
    import random

    token, material = render("glpat-{an:27}.{anl:2}{anl:7}", random.Random(1))
    sample = Sample("gitlab", "test", "x", token, token, material)
    suffix = token.split(".")[1]

    assert material[-1] == suffix  # adjacent random parts are one piece
    assert sample.leaked(f"[REDACTED].{suffix}")
    assert not sample.leaked("glpat-[REDACTED]")
