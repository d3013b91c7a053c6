def print_hello() -> None:
    print("Hello from printlib")
