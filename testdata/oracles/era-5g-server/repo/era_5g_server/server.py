import logging
import math
import os
from multiprocessing import Process
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import urljoin

import socketio
import ujson
from engineio.payload import Payload
from flask import Flask

from era_5g_interface.channels import COMMAND_ERROR_EVENT, CONTROL_NAMESPACE, DATA_NAMESPACE, CallbackInfoServer
from era_5g_interface.dataclasses.control_command import ControlCommand
from era_5g_interface.interface_helpers import MIDDLEWARE_ADDRESS
from era_5g_interface.server_channels import ServerChannels


class NetworkApplicationServer:
    """Stands in for the server of the release."""
