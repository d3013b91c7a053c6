import dataclasses
from typing import Any, Dict, Optional, Union

from llamazure.msgraph.models import QueryOpts, Req, Res, ResErr, ResMaybe
