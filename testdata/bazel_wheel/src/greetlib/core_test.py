import unittest

from greetlib import Greeter, message_of_the_day


class GreeterTest(unittest.TestCase):
    def test_default_greeting(self):
        self.assertEqual(Greeter().greet("Bazel"), "Hello, Bazel!")

    def test_custom_salutation(self):
        self.assertEqual(Greeter("Hi", ".").greet("Ada"), "Hi, Ada.")

    def test_greeters_are_immutable(self):
        with self.assertRaises(AttributeError):
            Greeter().salutation = "Yo"

    def test_message_of_the_day_is_packaged_data(self):
        self.assertEqual(message_of_the_day(), "Every wheel starts with a single py_library.")


if __name__ == "__main__":
    unittest.main()
