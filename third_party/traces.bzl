"""shared_traces: the cache access traces in ../shared/traces, seen by Bazel without copying them.

The traces are data kept outside the repository (CC BY 4.0, see their README). This rule finds
their directory, in this order: the environment variable CACHELAB_TRACES, then
`<workspace>/../shared/traces`; it symlinks every file into an external repository and declares

    @traces//:cache2k     the four cache2k traces (*.trace.xz)
    @traces//:synthetic   the synthetic Zipf trace
    @traces//:all         both
    @traces//:found.txt   "1" if the directory was found, "0" if not (tests skip, saying so)
"""

def _shared_traces_impl(ctx):
    candidates = []
    if ctx.os.environ.get("CACHELAB_TRACES"):
        candidates.append(ctx.os.environ["CACHELAB_TRACES"])
    workspace = ctx.path(Label("//:WORKSPACE")).dirname
    candidates.append("%s/../shared/traces" % workspace)
    found = None
    for candidate in candidates:
        if ctx.path(candidate + "/README.md").exists:
            found = ctx.path(candidate)
            break
    if found:
        for sub in ["cache2k", "synthetic"]:
            if not found.get_child(sub).exists:
                continue
            for f in found.get_child(sub).readdir():
                ctx.symlink(f, "%s/%s" % (sub, f.basename))
        ctx.symlink(found.get_child("README.md"), "README.md")
    ctx.file("found.txt", "1\n" if found else "0\n")
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD.bazel", "\n".join([
        'package(default_visibility = ["//visibility:public"])',
        'exports_files(["found.txt"])',
        'filegroup(name = "cache2k", srcs = glob(["cache2k/*.trace.xz"]))',
        'filegroup(name = "synthetic", srcs = glob(["synthetic/*.trace.xz"]))',
        'filegroup(name = "all", srcs = [":cache2k", ":synthetic", "found.txt"])',
        "",
    ]))

shared_traces = repository_rule(
    implementation = _shared_traces_impl,
    environ = ["CACHELAB_TRACES"],
    local = True,
)
