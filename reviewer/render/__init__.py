"""Renderers: turn a Review into something a person or a tool reads.

One module per format, so that importing one never pays for another: ``text``
(a coloured terminal report, rich), ``jsonout`` (the JSON contract other tools
rely on), ``sarif`` (SARIF 2.1.0 for GitHub code scanning) and ``markdown``
(the body of a pull-request review and the step summary). Renderers only render:
posting to GitHub is ``reviewer.github``'s. This package module imports none of
them; import the one you need.
"""
