import copy
import re
from typing import Any, Final, Literal, TypedDict, Unpack

from reflex import constants
from reflex.config import get_config
from reflex.environment import environment
from reflex.plugins.base import CommonContext, Plugin, PreCompileContext
from reflex.utils.prerequisites import get_web_dir


class ViteConfigPlugin:
    """Stands in for the plugin of the release."""
