import argparse
import sys

from greeter import Greeter, salutations


def main(argv=None):
    parser = argparse.ArgumentParser(prog="buck2-greet", description="Greet people.")
    parser.add_argument("names", nargs="*", default=["world"])
    parser.add_argument("-s", "--salutation", default="Hello", choices=salutations())
    args = parser.parse_args(argv)

    greeter = Greeter(args.salutation)
    for name in args.names:
        print(greeter.greet(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
