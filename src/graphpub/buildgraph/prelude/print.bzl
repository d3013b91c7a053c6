# print(), as Bazel shows it: graphpub adds the call site (`DEBUG path:LINE: message`).
def print(*args, sep = " "):
    _print(json.encode([call_stack(strip_frames = 1), [str(a) for a in args], sep]))

def pprint(*args):
    print(*args)
