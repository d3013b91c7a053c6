from . import __name__ as _package

VALUE = _package
