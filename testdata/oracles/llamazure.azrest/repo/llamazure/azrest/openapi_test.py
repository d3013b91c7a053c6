from llamazure.azrest import openapi
