import numpy as np

from era_5g_tf2json.tf2_web_republisher import TF2WebRepublisher
