"""For the whole suite: webhooks may reach the loopback receivers the tests run.

A webhook URL whose host is loopback, private or link-local is refused unless the operator
allows its network (``TANDEM_WEBHOOK_ALLOW_NETWORKS``); the tests' receivers listen on
127.0.0.1, so the suite allows loopback, and only loopback. Servers the tests start in a
subprocess inherit it. Tests of the refusal itself remove it (``monkeypatch.delenv``).
Names are not looked up at all (``TANDEM_WEBHOOK_DNS=off``) unless a test stubs the resolver.
"""

from __future__ import annotations

import os

os.environ.setdefault("TANDEM_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8,::1/128")
# No name in a webhook URL is looked up (a fuzzed or hostile test name would otherwise send a DNS
# query off the machine); the tests of name checks stub the resolver and turn lookups on.
os.environ.setdefault("TANDEM_WEBHOOK_DNS", "off")
# Passwords are hashed with scrypt at N = 2**10 instead of 2**14 (dispatch/store/repository.py,
# TANDEM_SCRYPT_N): the same hashing and checks, at a sixteenth of the cost; it was about a fifth
# of the suite's time. tests/dispatch/test_password_cost.py meets the default N.
os.environ.setdefault("TANDEM_SCRYPT_N", "1024")
