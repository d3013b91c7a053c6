# A namespace of its own below `acme`, declared the other way.
from pkg_resources import declare_namespace

declare_namespace(__name__)
