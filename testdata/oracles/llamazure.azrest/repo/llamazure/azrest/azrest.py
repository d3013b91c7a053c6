from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from typing import Callable, Dict, List, Optional, Tuple, Type, TypeVar, Union, cast

import requests
from pydantic import BaseModel, TypeAdapter, ValidationError

from llamazure.azrest.models import AzBatch, AzBatchResponse, AzBatchResponses, AzList, AzureError, AzureErrorResponse, BatchReq, Req, Ret_T

AzOps = AzRest = object
