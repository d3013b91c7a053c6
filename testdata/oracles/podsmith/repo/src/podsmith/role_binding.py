# Copyright (c) 2025 Andreas Stenius
# This software is licensed under the MIT License.
# See the LICENSE file for details.
from kubernetes.client import V1RoleBinding
from typing_extensions import Self

from .manifest import ClusterManifest, Manifest
from .role import Role
from .service_account import ServiceAccount
