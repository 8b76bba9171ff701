"""The SARIF rules: one per finding category, described once, the same in every run.

GitHub code scanning keeps a rule's metadata from the upload that first showed
it, and ranks security alerts by the rule's ``security-severity``; so a rule's
level and score come from this table, never from the findings of one run. A
result still carries its own level (from its finding's severity).
"""

from __future__ import annotations

from dataclasses import dataclass

SECURITY_CATEGORY = "security"

_HELP = (
    "Each result is a finding of an automated code review of the change: its message says "
    "what is wrong on these lines, why it matters and, where the reviewer could, which change "
    "fixes it. Fix the code, or dismiss the alert if the reviewer misread the change."
)


@dataclass(frozen=True)
class Rule:
    category: str
    level: str  # SARIF's: "error", "warning" or "note"
    description: str  # what findings of the category are about, one or two sentences
    security_severity: str | None = None  # GitHub's 0.0-10.0 score, a string as GitHub writes it

    @property
    def name(self) -> str:
        """SARIF suggests a PascalCase name: ``error-handling`` → ``ErrorHandling``."""
        return "".join(part.capitalize() for part in self.category.replace("_", "-").split("-"))

    @property
    def short_description(self) -> str:
        return f"Review findings about {self.category.replace('-', ' ')}"

    @property
    def help_text(self) -> str:
        return f"{self.description}\n\n{_HELP}"

    @property
    def help_markdown(self) -> str:
        return f"**{self.short_description}.** {self.description}\n\n{_HELP}"


RULES: dict[str, Rule] = {
    rule.category: rule
    for rule in (
        Rule(
            "correctness",
            "error",
            "The changed code does not do what it should: wrong conditions or boundaries, "
            "a reachable null dereference, the wrong variable, a misused API, or behaviour "
            "that contradicts the code's own contract.",
        ),
        Rule(
            SECURITY_CATEGORY,
            "error",
            "An attacker could read, change or run something they should not: injection, "
            "path traversal, unsafe deserialization, missing authorization, weak cryptography, "
            "or a secret committed to the repository.",
            security_severity="8.0",  # "high" in GitHub's ranking; each result says its own
        ),
        Rule(
            "performance",
            "warning",
            "The change makes something measurably slower or hungrier on realistic input: "
            "quadratic work, queries in loops, unbounded reads or caches, blocking calls in "
            "an event loop.",
        ),
        Rule(
            "concurrency",
            "error",
            "The result depends on timing: shared state without synchronisation, "
            "check-then-act races, inconsistent lock order, a missing await.",
        ),
        Rule(
            "error-handling",
            "warning",
            "Failures are lost, misreported or mishandled: swallowed exceptions, failure "
            "reported as success, unbounded retries, partial failure leaving state inconsistent.",
        ),
        Rule(
            "resource-leak",
            "warning",
            "Something acquired is not released on every path (files, sockets, connections, "
            "locks, processes), or a call can block forever without a timeout.",
        ),
        Rule(
            "api-design",
            "warning",
            "An interface that is hard to use correctly or changes incompatibly: breaking "
            "changes without a migration, invisible boolean parameters, missing validation "
            "at a public boundary.",
        ),
        Rule(
            "maintainability",
            "note",
            "The change makes future bugs likely: logic duplicated so the copies will drift, "
            "dead code, misleading names, unfinished behaviour hidden behind a TODO.",
        ),
        Rule(
            "testing",
            "note",
            "The tests do not protect the change: new behaviour without a test, tests that "
            "assert nothing or would pass if the feature broke, flaky tests.",
        ),
        Rule(
            "documentation",
            "note",
            "What the reader is told is wrong: docstrings, comments, README sections or "
            "examples that this change made false.",
        ),
        Rule(
            "style",
            "note",
            "Readability problems that could mislead a reader and that no formatter or "
            "linter would catch.",
        ),
    )
}


def rule_for(category: str) -> Rule:
    """The category's rule; one not in the table (from an older cache, say) gets a plain one."""
    known = RULES.get(category)
    if known is not None:
        return known
    return Rule(category, "warning", f"Review findings in the category {category!r}.")
