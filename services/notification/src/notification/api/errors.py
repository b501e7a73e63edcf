"""How notification's refusals read as problem details.

Every refusal is a domain error (``domain/``: ``InquiryNotFound`` 404,
``InquiryClosed`` 409, ``NoticeNotFound`` 404, ``NoticeWithdrawn`` 409,
``NoticeRuleError`` 422 with the field at fault, ``DeliveryNotFound`` 404,
``DeliveryNotFailed`` 409) that servicekit answers as problem+json on every
service app; a bad cursor is servicekit's ``InvalidCursor`` (422
``request.invalid_cursor``). Nothing here needs more than that mapping, so this
module only records where the answers come from.
"""
