from __future__ import annotations

import dataclasses
import operator
import urllib.parse
from functools import reduce
from typing import Any, Dict, Optional

import requests

from llamazure.msgraph import codec
from llamazure.msgraph.models import Req, Res, ResErr, ResMaybe


class Graph:
    """Stands in for the Microsoft Graph client of the release."""
