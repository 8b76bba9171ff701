"""Publishers: turn a Review into something a person or a tool reads.

One module per output so that importing one never pays for another:
``text`` (a coloured terminal report, rich), ``jsonout`` (the JSON contract
other tools rely on), ``sarif`` (SARIF 2.1.0 for GitHub code scanning),
``markdown`` (the body of a pull-request comment) and ``github`` (posting a
review). This package module imports none of them; import the one you need.
"""
