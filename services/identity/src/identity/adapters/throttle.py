"""Brute-force throttling in Redis: logins (R4), operators' TOTP codes (R29) and the
emails a caller can make identity send (issue 19 items 1–3, 16).

An attempt is *reserved* before the password or code is checked: one Lua script
refuses it when a scope is locked or its count (failures plus attempts still being
checked) has reached the limit, and otherwise counts it, in one atomic step. N
parallel guesses therefore cannot all pass the check before the first failure is
counted. A failure leaves its reservation counted and locks every scope whose count
reached its limit for ``LOGIN_LOCKOUT_SECONDS``; a success hands it back.

Login scopes: one login ID from one client address (a member's own typos lock only
that pair: colleagues behind the same NAT or ingress address are never locked out by
one user), and one login ID from every address together (a distributed attack stays
within that limit). Unknown login IDs are counted like known ones, so a lockout
tells nothing about whether an account exists. Spraying many login IDs from one
address is bounded by the gateway's per-address ``login`` rate class.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from identity.config import Settings
from servicekit.redis import Namespaced

# KEYS: lock, count of each scope in turn. ARGV: window (ms), then each scope's limit.
# Returns the milliseconds to wait (0: reserved).
_RESERVE = """
local longest = 0
for i = 1, #KEYS, 2 do
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl > longest then longest = ttl end
end
if longest > 0 then return longest end
for i = 1, #KEYS, 2 do
  local count = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
  if count >= tonumber(ARGV[(i + 1) / 2 + 1]) then
    local ttl = redis.call('PTTL', KEYS[i + 1])
    if ttl < 0 then ttl = tonumber(ARGV[1]) end
    if ttl > longest then longest = ttl end
  end
end
if longest > 0 then return longest end
for i = 1, #KEYS, 2 do
  redis.call('INCR', KEYS[i + 1])
  if redis.call('PTTL', KEYS[i + 1]) < 0 then redis.call('PEXPIRE', KEYS[i + 1], ARGV[1]) end
end
return 0
"""

# KEYS: lock, count of each scope. ARGV: lockout (ms), then each scope's limit.
# Returns 1 when a scope was locked.
_FAILED = """
local locked = 0
for i = 1, #KEYS, 2 do
  local count = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
  if count >= tonumber(ARGV[(i + 1) / 2 + 1]) then
    redis.call('SET', KEYS[i], '1', 'PX', ARGV[1])
    redis.call('DEL', KEYS[i + 1])
    locked = 1
  end
end
return locked
"""

# KEYS: counts to forget, then counts to give one reservation back to.
# ARGV[1]: how many of KEYS are forgotten.
_SUCCEEDED = """
local forget = tonumber(ARGV[1])
for i = 1, #KEYS do
  if i <= forget then
    redis.call('DEL', KEYS[i])
  elseif tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then
    redis.call('DECR', KEYS[i])
  end
end
return 0
"""

# KEYS[1]: the cooldown of one address, KEYS[2]: its count of the day.
# ARGV: cooldown (s), most per day. Returns 0 when the email may be sent now (and
# counts it), else the milliseconds until one may be asked for again.
_MAIL_RESERVE = """
local cooling = redis.call('PTTL', KEYS[1])
if cooling > 0 then return cooling end
local sent = tonumber(redis.call('GET', KEYS[2]) or '0')
if sent >= tonumber(ARGV[2]) then
  local day = redis.call('PTTL', KEYS[2])
  if day < 1 then day = 86400000 end
  return day
end
sent = redis.call('INCR', KEYS[2])
if sent == 1 then redis.call('EXPIRE', KEYS[2], 86400) end
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
return 0
"""


def _digest(value: str) -> str:
    # Login IDs are personal data: keys hold a digest, not the email.
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class _Scope:
    name: str
    value: str
    limit: int


def _seconds(milliseconds: int) -> int:
    return max(1, -(-int(milliseconds) // 1000))


class LoginThrottle:
    """Reserves, fails and hands back login and TOTP attempts (see the module docs)."""

    def __init__(self, redis: Any, settings: Settings) -> None:
        self._settings = settings
        self._keys = Namespaced(settings.redis_namespace)
        self._reserve = redis.register_script(_RESERVE)
        self._failed = redis.register_script(_FAILED)
        self._succeeded = redis.register_script(_SUCCEEDED)

    def _login_scopes(self, login_id: str, ip: str) -> list[_Scope]:
        account = _digest(login_id)
        return [
            _Scope(
                "account_address",
                f"{account}:{ip}",
                self._settings.login_max_failures_per_account_address,
            ),
            _Scope("account", account, self._settings.login_max_failures_per_account),
        ]

    def _totp_scopes(self, member_id: uuid.UUID) -> list[_Scope]:
        return [_Scope("totp", str(member_id), self._settings.totp_max_failures_per_operator)]

    def _lock_and_count(self, scopes: list[_Scope]) -> list[str]:
        keys = []
        for scope in scopes:
            keys += [
                self._keys("login", "lock", scope.name, scope.value),
                self._keys("login", "fail", scope.name, scope.value),
            ]
        return keys

    async def _take(self, scopes: list[_Scope]) -> int:
        waited = await self._reserve(
            keys=self._lock_and_count(scopes),
            args=[self._settings.login_failure_window_seconds * 1000, *(s.limit for s in scopes)],
        )
        return _seconds(waited) if int(waited) > 0 else 0

    async def _fail(self, scopes: list[_Scope]) -> int:
        locked = await self._failed(
            keys=self._lock_and_count(scopes),
            args=[self._settings.login_lockout_seconds * 1000, *(s.limit for s in scopes)],
        )
        return self._settings.login_lockout_seconds if int(locked) else 0

    async def _give_back(self, forget: list[_Scope], refund: list[_Scope]) -> None:
        counts = [self._keys("login", "fail", s.name, s.value) for s in (*forget, *refund)]
        await self._succeeded(keys=counts, args=[len(forget)])

    async def reserve(self, login_id: str, ip: str) -> int:
        """Count a login attempt before its password is checked: 0 when it may go on,
        else the seconds until one may be tried again."""
        return await self._take(self._login_scopes(login_id, ip))

    async def failed(self, login_id: str, ip: str) -> int:
        """The reserved attempt failed: the lockout seconds when it locked a scope."""
        return await self._fail(self._login_scopes(login_id, ip))

    async def succeeded(self, login_id: str, ip: str) -> None:
        """The password was right: this address's failures on the login ID are forgotten,
        and the reservation is handed back to the login ID's count across addresses
        (failures from elsewhere still count)."""
        pair, account = self._login_scopes(login_id, ip)
        await self._give_back([pair], [account])

    async def reserve_totp(self, member_id: uuid.UUID) -> int:
        """Count an operator's TOTP attempt before the code is checked (as :meth:`reserve`)."""
        return await self._take(self._totp_scopes(member_id))

    async def totp_failed(self, member_id: uuid.UUID) -> int:
        """A wrong TOTP code: the lockout seconds when it locked the operator's second factor."""
        return await self._fail(self._totp_scopes(member_id))

    async def totp_succeeded(self, member_id: uuid.UUID) -> None:
        """A right code: the reservation is handed back (earlier failures still count)."""
        await self._give_back([], self._totp_scopes(member_id))


class MailCooldown:
    """How often a caller may make identity email one address (verification resends):
    once per cooldown and a few times a day, counted whether or not the address is a
    member's, so a refusal (429) tells nothing about the address either (R10)."""

    def __init__(self, redis: Any, settings: Settings) -> None:
        self._settings = settings
        self._keys = Namespaced(settings.redis_namespace)
        self._reserve = redis.register_script(_MAIL_RESERVE)

    async def reserve(self, purpose: str, email: str) -> int:
        """0 when an email of ``purpose`` may go to ``email`` now (it is counted), else
        the seconds until one may be asked for again."""
        address = _digest(email)
        waited = await self._reserve(
            keys=[
                self._keys("mail", "cooldown", purpose, address),
                self._keys("mail", "day", purpose, address),
            ],
            args=[
                self._settings.verification_resend_cooldown_seconds,
                self._settings.verification_resend_max_per_day,
            ],
        )
        return _seconds(waited) if int(waited) > 0 else 0
