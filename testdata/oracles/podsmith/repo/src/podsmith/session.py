# Copyright (c) 2025 Andreas Stenius
# This software is licensed under the MIT License.
# See the LICENSE file for details.
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from contextlib import ExitStack

from typing_extensions import Self

from .manifest import Manifest
