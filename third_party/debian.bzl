"""Repository rules that expose Debian's packages to Bazel 4.2.3 without any download.

debian_rules_cc: Debian's rules_cc (0.0.4) is newer than Bazel 4.2.3 and loads
`use_cpp_toolchain`, which 4.2.3 lacks; this copies the tree and rewrites those two loads.

system_libraries: one cc_library per pkg-config module (or plain -l flags), with the link
line read from pkg-config when the repository is fetched, so abseil's long per-component
link lines are never listed by hand.
"""

_RULES_CC = "/usr/share/bazel/rules/cc"
_PATCHED = [
    "cc/private/rules_impl/cc_flags_supplier.bzl",
    "cc/private/rules_impl/compiler_flag.bzl",
]

def _debian_rules_cc_impl(ctx):
    result = ctx.execute(["cp", "-r", _RULES_CC + "/.", "."])
    if result.return_code != 0:
        fail("cannot copy %s (is bazel-rules-cc installed? run tools/setup): %s" % (_RULES_CC, result.stderr))
    for path in _PATCHED:
        text = ctx.read(path)
        text = text.replace(', "use_cpp_toolchain")', ")")
        text = text.replace("use_cpp_toolchain()", '["@bazel_tools//tools/cpp:toolchain_type"]')
        ctx.file(path, text, legacy_utf8 = False)

debian_rules_cc = repository_rule(implementation = _debian_rules_cc_impl, local = True)

def _pkg_config_libs(ctx, module):
    result = ctx.execute(["pkg-config", "--libs", module])
    if result.return_code != 0:
        fail("pkg-config cannot find '%s': install its Debian package (run tools/setup). %s" % (module, result.stderr))
    return [f for f in result.stdout.replace("\n", " ").split(" ") if f]

def _pkg_config_defines(ctx, module):
    result = ctx.execute(["pkg-config", "--cflags", module])
    if result.return_code != 0:
        fail("pkg-config cannot find '%s': %s" % (module, result.stderr))
    return [f[2:] for f in result.stdout.replace("\n", " ").split(" ") if f.startswith("-D")]

def _system_libraries_impl(ctx):
    lines = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, spec in ctx.attr.libraries.items():
        linkopts = []
        defines = []
        for item in spec.split(" "):
            if item.startswith("pkg:"):
                linkopts += _pkg_config_libs(ctx, item[4:])
                defines += _pkg_config_defines(ctx, item[4:])
            elif item:
                linkopts.append(item)
        lines.append("cc_library(")
        lines.append('    name = "%s",' % name)
        lines.append("    linkopts = %s," % repr(linkopts + ["-pthread"]))
        lines.append("    defines = %s," % repr(sorted({d: 1 for d in defines}.keys())))
        lines.append(")")
        lines.append("")
    ctx.file("BUILD.bazel", "\n".join(lines))
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)

system_libraries = repository_rule(
    implementation = _system_libraries_impl,
    attrs = {
        # name -> space-separated items: "pkg:<module>" or a literal linker flag.
        "libraries": attr.string_dict(mandatory = True),
    },
    local = True,
)
