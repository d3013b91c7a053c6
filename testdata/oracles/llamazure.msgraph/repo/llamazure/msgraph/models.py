from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Union


class MicrosoftGraphException(Exception):
    pass


QueryOpts = Req = Res = ResErr = ResMaybe = object
