"""Everything GitHub: the Actions event and environment, the pull request and its reviews.

``api`` is the only module that talks to GitHub (the only one that imports
PyGithub): it reads the pull request, its diff and earlier reviews, and writes
the review. Beside it, pure helpers: ``event`` (the Actions environment, inputs
and payload), ``marker`` (the hidden state each review carries), ``incremental``
(what changed since the last reviewed head), ``draft`` (a Review turned into
GitHub review comments), ``limits`` (rate limits and retries), ``output``
(workflow commands, outputs and the step summary), and for reviews that converge
``identity`` (whether a finding was raised before), ``threads`` (review threads
and the bot's comment markers), ``conversation`` (what people did with the bot's
comments, and what a run posts, closes and leaves) and ``answer`` (answering a
question in a thread with Claude).
"""
