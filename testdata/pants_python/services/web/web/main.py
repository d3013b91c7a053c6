def main() -> None:
    print("web")
