from llamazure.msgraph.models import MicrosoftGraphException, QueryOpts, Req, Res, ResErr, ResMaybe
from llamazure.msgraph.msgraph import Graph
