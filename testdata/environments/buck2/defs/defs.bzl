"""Rules and macros written the way Buck2 repositories write them: typed, with providers."""

BundleInfo = provider(fields = {"parts": provider_field(list[str], default = [])})

def _bundle_impl(ctx: AnalysisContext) -> list[Provider]:
    parts = [dep[DefaultInfo].default_outputs for dep in ctx.attrs.deps]
    out = ctx.actions.write("bundle.txt", cmd_args(parts))
    return [DefaultInfo(default_output = out), BundleInfo(parts = [])]

_bundle = rule(
    impl = _bundle_impl,
    attrs = {
        "deps": attrs.list(attrs.dep(), default = []),
        "label": attrs.option(attrs.string(), default = None),
    },
)

def app_bundle(name: str, deps: list[str] = [], **kwargs) -> None:
    flavor = read_root_config("app", "flavor", "default")
    native.haskell_library(name = name + "_hs", srcs = [])
    _bundle(name = name, deps = deps, label = flavor, **kwargs)

def _cpu() -> str:
    arch = host_info().arch
    if arch.is_aarch64:
        return "arm64"
    elif arch.is_riscv64:
        return "riscv64"
    return "x86_64"

def platform_for_host(name: str):
    native.platform(name = name, constraint_values = ["prelude//cpu/constraints:" + _cpu()])

def _execution_platforms_impl(ctx: AnalysisContext) -> list[Provider]:
    platform = ExecutionPlatformInfo(
        label = ctx.label.raw_target(),
        configuration = ConfigurationInfo(constraints = {}, values = {}),
        executor_config = CommandExecutorConfig(local_enabled = True, remote_enabled = False),
    )
    return [DefaultInfo(), ExecutionPlatformRegistrationInfo(platforms = [platform])]

execution_platforms = rule(impl = _execution_platforms_impl, attrs = {})
