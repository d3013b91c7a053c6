def main() -> None:
    print("rich")
