from __future__ import annotations

from dingdan.platform.errors import Conflict, InvalidInput, Unauthorized


class BadCredentials(Unauthorized):
    code = "bad-credentials"
    title = "Wrong e-mail or password"


class InvalidToken(Unauthorized):
    code = "invalid-token"
    title = "Token missing, expired or revoked"


class DuplicateStaff(Conflict):
    code = "duplicate-staff"
    title = "A staff account with this e-mail exists"


class WeakPassword(InvalidInput):
    code = "weak-password"
    title = "Password too short"
