import pytest

from llamazure.azrest.azrest import AzRest
