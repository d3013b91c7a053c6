from hypothesis import given

from llamazure.msgraph import codec
