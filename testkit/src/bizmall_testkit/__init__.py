"""bizmall's test harness: whole local stacks, their mailbox, and the journeys a test
drives through the gateway.

``stack`` starts ``python -m devrun`` (what ``make dev`` runs) for a suite;
``supervised`` runs the same plan under the test process's own supervisor, for
tests that kill and restart processes; ``client`` is the gateway's client a test
holds; ``mail`` reads the mailbox; ``data`` makes test data; ``processes`` looks
at processes and ports. See testkit/README.md.
"""
