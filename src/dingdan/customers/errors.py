from __future__ import annotations

from dingdan.platform.errors import Conflict, InvalidInput, Unauthorized


class BadCredentials(Unauthorized):
    code = "bad-credentials"
    title = "Wrong e-mail, mobile number or password"


class InvalidCustomerToken(Unauthorized):
    code = "invalid-token"
    title = "Token missing, expired or revoked"


class DuplicateAccount(Conflict):
    code = "duplicate-account"
    title = "An account with this e-mail or mobile number exists"


class WeakPassword(InvalidInput):
    code = "weak-password"
    title = "Password too short"


class InvalidContact(InvalidInput):
    code = "invalid-contact"
    title = "Not an e-mail address or mobile number"


class InvalidCode(InvalidInput):
    code = "invalid-code"
    title = "Code wrong, used or expired"


class ContactNotVerified(Conflict):
    code = "contact-not-verified"
    title = "Verify your e-mail or mobile number first"
