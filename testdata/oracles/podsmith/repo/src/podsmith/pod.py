# Copyright (c) 2025 Andreas Stenius
# This software is licensed under the MIT License.
# See the LICENSE file for details.
from __future__ import annotations

import re
import socket
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

import backoff
from kubernetes.client import V1Pod
from kubernetes.watch import Watch
from testcontainers.core.container import DockerContainer
from typing_extensions import Self

from .image import ImageLoader
from .manifest import Manifest
from .role import ClusterRole, Role, RoleBase
from .role_binding import ClusterRoleBinding, RoleBinding, RoleBindingBase
from .service import APP_LABEL, Service
from .service_account import ServiceAccount
