"""protobuf's way: a wrapper handing an external repository's rule to a macro of its own."""

load("@rules_ruby//ruby:defs.bzl", "rb_library")
load("//tools:protos.bzl", _internal_ruby_proto_library = "internal_ruby_proto_library")

def ruby_proto_library(name, **kwargs):
    _internal_ruby_proto_library(
        name,
        rb_library,
        **kwargs
    )
