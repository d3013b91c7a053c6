from llamazure.azrest.azrest import AzOps, AzRest
from llamazure.azrest.models import AzList, AzureError, BatchReq, Req
