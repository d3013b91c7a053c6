"""The beta component."""

import alpha
