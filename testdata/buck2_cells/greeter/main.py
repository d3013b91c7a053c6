from greeter import GREETING


def main():
    print("hello")
