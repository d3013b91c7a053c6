"""A keyring backend for tests, as a user's OS keyring would serve twine: passwords from the
JSON file named by GRAPHPUB_TEST_KEYRING, keyed `SERVICE USERNAME` (service = repository URL).

Selected with PYTHON_KEYRING_BACKEND=tests.keyring_backend.JsonFileKeyring."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError, PasswordSetError


class JsonFileKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        entries = json.loads(Path(os.environ["GRAPHPUB_TEST_KEYRING"]).read_text(encoding="utf-8"))
        value = entries.get(f"{service} {username}")
        return value if isinstance(value, str) else None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("read-only test keyring")

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("read-only test keyring")
