"""What the app keeps in the OS keychain: the model server's API key (never in the settings file) and
the session-history key. This module and copilot/config/ alone talk to the keychain.

One entry per server: service "interview-copilot", user name = the server URL, so keys for two
servers do not overwrite each other. `keyring` is imported on first use, keeping `import copilot` light.

Without a usable keychain (a headless Linux box, a locked-down container) keyring falls back to its
"fail" backend. Reading then gives None (the server may need no key) with one warning in the log;
storing or deleting raises a UserError that says what to do, instead of a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from copilot.errors import UserError

SERVICE = "interview-copilot"

log = logging.getLogger(__name__)
_warned_no_backend = False

_NO_KEYCHAIN_HELP = (
    "no system keychain is available to store the API key for {url}; unlock or install one "
    "(GNOME Keyring or KWallet on Linux, Keychain on macOS, Credential Manager on Windows), "
    "or use a server that needs no key"
)


def _keyring() -> Any:
    """The keyring module, or a UserError if it is not installed."""
    try:
        import keyring
    except ImportError:
        raise UserError("the keyring package is not installed; run `make setup`") from None
    return keyring


def _has_backend(keyring: Any) -> bool:
    # keyring chooses its "fail" backend when no real one is found; its calls would raise
    # NoKeyringError, so detect it up front and give our own message.
    from keyring.backends import fail

    return not isinstance(keyring.get_keyring(), fail.Keyring)


def _no_keychain(url: str) -> UserError:
    return UserError(_NO_KEYCHAIN_HELP.format(url=url))


def _warn_once(message: str) -> None:
    global _warned_no_backend
    if not _warned_no_backend:
        _warned_no_backend = True
        log.warning(message)


def get_api_key(url: str) -> str | None:
    """The key stored for `url`, or None when there is none or no keychain to ask."""
    try:
        keyring = _keyring()
    except UserError as exc:
        _warn_once(f"{exc}; continuing without an API key")
        return None
    from keyring.errors import KeyringError, NoKeyringError

    try:
        if not _has_backend(keyring):
            raise NoKeyringError
        return keyring.get_password(SERVICE, url) or None
    except KeyringError as exc:
        # A locked or missing keychain should not stop practice against a server that needs no key.
        _warn_once(f"{_NO_KEYCHAIN_HELP.format(url=url)}; continuing without an API key ({type(exc).__name__})")
        return None


def set_api_key(url: str, key: str) -> None:
    """Store `key` for `url`; an empty key removes the stored one (the settings field was cleared)."""
    if not key.strip():
        delete_api_key(url)
        return
    keyring = _keyring()
    from keyring.errors import KeyringError

    if not _has_backend(keyring):
        raise _no_keychain(url)
    try:
        keyring.set_password(SERVICE, url, key.strip())
    except KeyringError as exc:
        raise UserError(f"could not store the API key for {url} in the system keychain: {exc}") from None


def delete_api_key(url: str) -> None:
    """Remove the key for `url`; removing a key that is not there is not an error."""
    keyring = _keyring()
    from keyring.errors import KeyringError, PasswordDeleteError

    if not _has_backend(keyring):
        raise _no_keychain(url)
    try:
        keyring.delete_password(SERVICE, url)
    except PasswordDeleteError:
        pass
    except KeyringError as exc:
        raise UserError(f"could not remove the API key for {url} from the system keychain: {exc}") from None


# --- the session-history key --------------------------------------------------------------------

HISTORY_KEY_USERNAME = "history-key"
_NO_KEYCHAIN_FOR_HISTORY = (
    "no system keychain is available to keep the session-history key; choose one: "
    "set COPILOT_HISTORY_KEY_FILE to a file path to keep the key in that file (created with mode 0600; "
    "anyone who can read it can read your history), or set COPILOT_HISTORY=off to disable session history"
)


def new_history_key() -> bytes:
    """A fresh Fernet key (urlsafe base64 of 32 bytes)."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key()


class KeyringKeyProvider:
    """The session-history key in the OS keychain (service SERVICE, user name "history-key"); created
    there the first time. Without a usable keychain, a UserError names the two choices."""

    def __init__(self, service: str = SERVICE, username: str = HISTORY_KEY_USERNAME) -> None:
        self.service = service
        self.username = username

    def key_exists(self) -> bool:
        from keyring.errors import KeyringError

        try:
            return bool(self._keyring().get_password(self.service, self.username))
        except KeyringError:
            return True  # cannot tell: get_key() reports the keychain's own problem

    def get_key(self) -> bytes:
        keyring = self._keyring()
        from keyring.errors import KeyringError

        try:
            stored = keyring.get_password(self.service, self.username)
            if stored:
                return str(stored).encode("ascii")
            key = new_history_key()
            keyring.set_password(self.service, self.username, key.decode("ascii"))
            return key
        except KeyringError as exc:
            # A locked keychain or one that refuses us: same choice as having none at all.
            raise UserError(f"{_NO_KEYCHAIN_FOR_HISTORY} ({type(exc).__name__}: {exc})") from None

    @staticmethod
    def _keyring() -> Any:
        keyring = _keyring()
        if not _has_backend(keyring):  # the "fail" backend: explain the choice instead
            raise UserError(_NO_KEYCHAIN_FOR_HISTORY)
        return keyring
