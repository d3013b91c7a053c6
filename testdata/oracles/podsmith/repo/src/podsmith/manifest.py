# Copyright (c) 2025 Andreas Stenius
# This software is licensed under the MIT License.
# See the LICENSE file for details.
from __future__ import annotations

import random
import string
import time
from abc import ABC, abstractmethod
from copy import deepcopy
from typing import Generic, TypeVar

from kubernetes.client import ApiClient, CoreV1Api, V1Namespace, V1ObjectMeta
from kubernetes.client.exceptions import ApiException
from typing_extensions import Self
