"""The files evaluation reads: build and `.bzl` files, and the files rules and builtins read
(`requirements.txt`, Python's `open()` in Pants files).

Each is read through the root check (`confined`: inside the root, a regular file, no larger
than `max_build_file_bytes`), decoded as UTF-8, and noted as an input of the packages being
evaluated (`InputRecorder`).
"""

from __future__ import annotations

from graphpub.buildgraph.confined import OutsideRootError, read_with_status
from graphpub.buildgraph.input_recorder import InputRecorder
from graphpub.errors import BuildFileError, SourceLocation


class SourceReader:
    """Reads root-relative files for evaluation, each one an input of what reads it."""

    def __init__(self, root: str, max_bytes: int, recorder: InputRecorder) -> None:
        self._root = root
        self._max_bytes = max_bytes
        self._recorder = recorder

    def read_bytes(
        self, path: str, *, what: str = "file", location: SourceLocation | None = None
    ) -> bytes:
        """A root-relative file's bytes (`confined.read_inside_root`), one of the inputs of
        the packages being evaluated."""
        data, status = read_with_status(
            self._root, path, self._max_bytes, what=what, location=location
        )
        self._recorder.note_file(path, status, data)
        return data

    def read_text(self, path: str, location: SourceLocation | None = None) -> str:
        """A root-relative file's text, for rules reading files such as requirements.txt."""
        return decode(path, self.read_bytes(path, location=location))

    def read_file(self, path: str, loaded_from: SourceLocation | None = None) -> str:
        """A build or `.bzl` file's text; a file too large is the error's place itself."""
        try:
            data = self.read_bytes(path, location=loaded_from)
        except OutsideRootError as error:
            if error.reason == "size":
                error.location = SourceLocation(path)
                error.message = error.message.replace(f"{path} is ", "file is ", 1)
            raise
        return decode(path, data)


def decode(path: str, data: bytes) -> str:
    """A file's bytes as UTF-8 text; an error at the first byte that is not."""
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark, as Python allows
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise BuildFileError(
            f"file is not valid UTF-8 text (byte 0x{data[e.start]:02x})",
            location=SourceLocation(path, line, column),
            hint="build files must be UTF-8; re-save the file as UTF-8",
        ) from None
    return text
