from __future__ import annotations

import itertools
import json
import logging
import re
from abc import ABC, abstractmethod
from collections import defaultdict
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from json import JSONDecodeError
from pathlib import Path
from textwrap import dedent, indent
from typing import ClassVar, Dict, Iterable, List, Literal, Optional, Sequence, Set, Tuple, Type, Union, cast

import pydantic
import requests
from pydantic import BaseModel, Field, TypeAdapter

from llamazure.azrest.models import AzList

# Code it generates, in a string literal: these are not imports of this module.
HEADER = dedent(
    """
    from __future__ import annotations
    from enum import Enum
    from typing import Annotated, Dict, List, Optional, Union

    from pydantic import BaseModel, Field

    from llamazure.azrest.models import AzList, ReadOnly, Req, default_list, default_dict
    """
)


def main():
    """Stands in for the OpenAPI code generator of the release."""


if __name__ == "__main__":
    import sys

    main()
