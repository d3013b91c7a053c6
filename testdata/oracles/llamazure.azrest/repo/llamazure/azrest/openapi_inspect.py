import json
import os
from pathlib import Path
from typing import Any, Callable, Generator, Tuple
