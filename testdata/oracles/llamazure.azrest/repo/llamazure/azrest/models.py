from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, Generic, Iterator, List, Optional, Type, TypeVar, Union
from urllib.parse import parse_qs, urlparse

from pydantic import BaseModel, BeforeValidator, Field

AzBatch = AzBatchResponse = AzBatchResponses = AzList = AzureError = AzureErrorResponse = object
BatchReq = Req = Ret_T = ReadOnly = default_list = default_dict = object
