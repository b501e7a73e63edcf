"""How ordering's refusals read as problem details.

Every refusal of ordering is a domain error (``ordering.domain.errors``): its
kind gives the status (``NotFound`` 404, ``Conflict`` 409, ``Invalid`` 422,
``Forbidden`` 403) and it carries its code, both texts, field errors and extra
members (the contact center of R20, the current plan version). servicekit
answers them as problem+json on every service app, so ordering needs no mapping
of its own here; the route-level refusals (authentication, request validation,
``auth.not_a_member``) are servicekit's too.
"""
