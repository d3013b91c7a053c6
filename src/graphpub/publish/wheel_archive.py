"""Writing a wheel the way a build system's own tool writes it, member by member.

rules_python's wheelmaker and Buck2's prelude `wheel.py` both write their wheels with
`zipfile`, each with its own calls: which members are streamed (`ZipFile.open`) and which are
written whole (`writestr`), their dates, permissions and compression, and RECORD's form. A
`WheelPlan` is that list of calls, decided when the distribution is staged (so that the cache
key covers all of it) and replayed in a build worker; replaying the same calls with the same
bytes gives the same archive as the tool does.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from graphpub.errors import GraphpubError


class WheelRuleError(GraphpubError):
    """A py_wheel or python_wheel its own build system would refuse to build."""


# Every member of a wheelmaker or Buck2 wheel is dated so: the earliest date a zip file holds.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Member:
    """One member of the archive, and how the tool writes it."""

    name: str
    """The name in the archive (and in RECORD)."""
    data: bytes
    streamed: bool
    """Written through `ZipFile.open(info, "w")` (as the tools write files they copy), else
    with `writestr` (as they write text they make)."""
    external_attr: int
    compress_type: int
    force_zip64: bool = False


@dataclass(frozen=True)
class WheelPlan:
    """A whole wheel: its file name, members in order, and RECORD's name and form."""

    filename: str
    members: tuple[Member, ...]
    record: str
    """The path of RECORD, written last."""
    record_compress_type: int
    record_external_attr: int

    def write(self, directory: Path) -> Path:
        """Write the wheel into `directory`; its path."""
        path = directory / self.filename
        rows: list[tuple[str, str, str]] = []
        with zipfile.ZipFile(path, mode="w") as archive:
            for member in self.members:
                info = _info(member.name, member.external_attr, member.compress_type)
                if member.streamed:
                    with archive.open(info, "w", force_zip64=member.force_zip64) as out:
                        out.write(member.data)
                else:
                    archive.writestr(info, member.data)
                rows.append((member.name, record_digest(member.data), str(len(member.data))))
            rows.append((self.record, "", ""))
            text = "".join(",".join((_record_name(n), d, s)) + "\n" for n, d, s in rows)
            archive.writestr(
                _info(self.record, self.record_external_attr, self.record_compress_type),
                text.encode("utf-8"),
            )
        return path


def _info(name: str, external_attr: int, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(filename=name, date_time=ZIP_EPOCH)
    info.create_system = 3  # a unix-y system, as both tools write on Linux and macOS
    info.external_attr = external_attr
    info.compress_type = compress_type
    return info


def record_digest(data: bytes) -> str:
    """RECORD's hash column: `sha256=` and the urlsafe base64 digest without padding."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def _record_name(name: str) -> str:
    """A path as a RECORD row holds it: CSV-quoted only when it must be (wheelmaker's
    `_quote_filename`)."""
    with io.StringIO() as buffer:
        csv.writer(buffer, quoting=csv.QUOTE_MINIMAL).writerow([name.lstrip("/")])
        return buffer.getvalue().strip()


def file_mode(path: Path) -> int:
    """A regular file's permissions as git keeps them: 0o755 if executable, else 0o644."""
    try:
        executable = os.stat(path).st_mode & 0o111
    except OSError:
        executable = 0
    return 0o755 if executable else 0o644
