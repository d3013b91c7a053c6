import pytest

from llamazure.msgraph.msgraph import Graph
