"""Macros that call the rule they are given, and a typed helper (`str` as a type)."""

def _describe(value: str) -> str:
    return "proto " + str(value)

def internal_ruby_proto_library(name, rb_library, srcs = [], **kwargs):
    rb_library(
        name = name,
        srcs = srcs,
        tags = [_describe(str(len(srcs)))],
        **kwargs
    )
