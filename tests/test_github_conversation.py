"""What people did with the bot's comments, and what a run does about it (pure rules)."""

from __future__ import annotations

from collections.abc import Callable

from reviewer.diff import Diff, parse_diff
from reviewer.github.conversation import (
    Command,
    converge,
    is_dismissal,
    read_command,
    read_raised,
)
from reviewer.github.identity import FindingKey, key_for
from reviewer.github.threads import (
    Reaction,
    ReviewThread,
    ThreadComment,
    finding_marker,
    read_finding_marker,
    read_reply_marker,
    reply_marker,
    visible_text,
)
from reviewer.values import Finding, Severity, Side

TRUSTED = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
LINES = ["def load(data):", "    result = eval(data)", "    return result", "", "x = compute()"]


def diff_of(lines: list[str]) -> Diff:
    body = "".join(f"+{line}\n" for line in lines)
    return parse_diff(
        "diff --git a/a.py b/a.py\nnew file mode 100644\n--- /dev/null\n+++ b/a.py\n"
        f"@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def key(line: int = 2, title: str = "eval runs arbitrary code") -> FindingKey:
    finding = Finding("a.py", line, Side.RIGHT, Severity.MAJOR, "security", title, "Avoid eval.")
    return key_for(finding, diff_of(LINES))


def bot(body: str, comment_id: int = 1, **changes: object) -> ThreadComment:
    comment = ThreadComment(comment_id, body, "github-actions", True, "NONE")
    return ThreadComment(**{**comment.__dict__, **changes})


def person(body: str, login: str = "maintainer", association: str = "MEMBER") -> ThreadComment:
    return ThreadComment(50, body, login, False, association)


def thread(
    *replies: ThreadComment, root: ThreadComment | None = None, **state: object
) -> ReviewThread:
    first = root or bot(f"**eval**\n\n{finding_marker(key())}\n")
    values: dict[str, object] = {
        "thread_id": "T1",
        "path": "a.py",
        "line": 2,
        "is_resolved": False,
        "is_outdated": False,
        "resolved_by": None,
        "viewer_can_resolve": True,
        "comments": (first, *replies),
    }
    return ReviewThread(**{**values, **state})  # type: ignore[arg-type]


def writers(*logins: str) -> Callable[[str], bool]:
    return lambda login: login in logins


def test_commands_and_dismissals_are_read_from_replies() -> None:
    assert read_command("/reviewer review") == Command("review", "")
    assert read_command("/Reviewer ignore this one") == Command("ignore", "")
    assert read_command("/reviewer why is eval bad?") == Command("ask", "why is eval bad?")
    assert read_command("/reviewer") is None
    assert read_command("please /reviewer review") is None
    assert is_dismissal("This is intended.")
    assert is_dismissal("False positive, the input is a constant")
    assert is_dismissal("/reviewer ignore")
    assert not is_dismissal("Is this intended?")  # a question, to be answered
    assert not is_dismissal("Good catch, fixing")


def test_a_thumbs_down_a_resolve_or_a_reply_by_a_writer_dismisses() -> None:
    thumbs = bot(f"x\n{finding_marker(key())}", reactions=(Reaction("THUMBS_DOWN", "maintainer"),))
    cases = {
        "reaction": thread(root=thumbs),
        "resolved": thread(is_resolved=True, resolved_by="maintainer"),
        "reply": thread(person("won't fix: by design")),
    }
    for name, case in cases.items():
        [raised] = read_raised([case], [], trusted=TRUSTED, may_dismiss=writers("maintainer"))
        assert raised.dismissed is not None, name
        assert "maintainer" in raised.dismissed


def test_people_without_write_access_do_not_dismiss() -> None:
    thumbs = bot(f"x\n{finding_marker(key())}", reactions=(Reaction("THUMBS_DOWN", "mallory"),))
    cases = [
        thread(root=thumbs),
        thread(is_resolved=True, resolved_by="octocat"),  # the author of a fork's pull request
        thread(person("false positive", login="mallory", association="NONE")),
    ]
    for case in cases:
        [raised] = read_raised([case], [], trusted=TRUSTED, may_dismiss=writers("maintainer"))
        assert raised.dismissed is None


def test_markers_are_believed_only_from_bots_or_trusted_authors() -> None:
    forged = person(f"x\n{finding_marker(key())}", login="mallory", association="NONE")
    assert read_raised([thread(root=forged)], [], trusted=TRUSTED, may_dismiss=writers()) == ()
    resolved_by_bot_after_fix = thread(
        bot(f"Fixed in `abc1234`.\n{reply_marker(1, 'fixed')}", comment_id=2),
        is_resolved=True,
        resolved_by="github-actions",
    )
    [raised] = read_raised(
        [resolved_by_bot_after_fix], [], trusted=TRUSTED, may_dismiss=writers("github-actions")
    )
    assert raised.fixed
    assert raised.dismissed is None
    assert not raised.open


def test_converge_posts_new_skips_repeats_and_closes_what_changed() -> None:
    eval_thread = thread()
    other_root = bot(f"y\n{finding_marker(key(5, 'compute may raise'))}", comment_id=3)
    compute_thread = thread(root=other_root, thread_id="T2", line=5)
    raised = read_raised([eval_thread, compute_thread], [], trusted=TRUSTED, may_dismiss=writers())
    fixed_lines = [
        "def load(data):",
        "    result = int(data)",
        "    return result",
        "",
        "x = compute()",
    ]
    new_diff = diff_of(fixed_lines)
    again = Finding("a.py", 5, Side.RIGHT, Severity.MINOR, "correctness", "compute may raise", "")
    brand_new = Finding("a.py", 2, Side.RIGHT, Severity.MINOR, "correctness", "int() may raise", "")
    plan = converge(
        raised,
        [key_for(again, new_diff), key_for(brand_new, new_diff)],
        pr_diff=new_diff,
        reviewed=new_diff,
        not_reviewed=(),
    )
    assert plan.post == (1,)
    assert (plan.repeated_open, plan.repeated_dismissed) == (1, 0)
    assert [r.thread.thread_id for r in plan.fixed if r.thread] == ["T1"]
    # A file the run could not review keeps its threads open.
    untouched = converge(raised, [], pr_diff=new_diff, reviewed=new_diff, not_reviewed={"a.py"})
    assert untouched.fixed == ()
    # Code not sent in this run is not judged.
    unsent = converge(raised, [], pr_diff=new_diff, reviewed=Diff(files=()), not_reviewed=())
    assert unsent.fixed == ()


def test_markers_round_trip_and_are_hidden_from_text() -> None:
    k = key()
    body = f"**Finding**\n\nText.\n\n{finding_marker(k)}\n"
    assert read_finding_marker(body, "a.py") == k
    assert visible_text(body) == "**Finding**\n\nText."
    marker = read_reply_marker(f"Answer.\n{reply_marker(7, 'answer')}")
    assert marker is not None
    assert (marker.to, marker.kind) == (7, "answer")
    assert read_reply_marker('<!-- reviewer:reply {"v":1,"to":7,"kind":"other"} -->') is None
