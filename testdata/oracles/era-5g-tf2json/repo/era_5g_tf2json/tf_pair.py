import copy
from typing import Dict, Optional

import numpy as np
import rclpy  # pants: no-infer-dep
from geometry_msgs.msg import Transform  # pants: no-infer-dep
from geometry_msgs.msg import TransformStamped  # pants: no-infer-dep
from pyquaternion import Quaternion


class TFPair:
    """Stands in for the pair of frames of the release."""
