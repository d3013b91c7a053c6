import argparse
import sys

from greetlib import Greeter, message_of_the_day


def main(argv=None):
    parser = argparse.ArgumentParser(prog="greet", description="Greet people.")
    parser.add_argument("names", nargs="*", default=["world"], help="who to greet")
    parser.add_argument("--salutation", default="Hello")
    parser.add_argument("--motd", action="store_true", help="also print the message of the day")
    args = parser.parse_args(argv)

    greeter = Greeter(args.salutation)
    for name in args.names:
        print(greeter.greet(name))
    if args.motd:
        print(message_of_the_day())
    return 0


if __name__ == "__main__":
    sys.exit(main())
