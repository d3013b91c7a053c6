def run() -> str:
    return "one"
