import unittest

from greeter import Greeter, salutations


class GreeterTest(unittest.TestCase):
    def test_default_salutation(self):
        self.assertEqual(Greeter().greet("Buck2"), "Hello, Buck2!")

    def test_salutations_come_from_the_resource(self):
        self.assertEqual(salutations(), ("Hello", "Hi", "Howdy", "Good morning"))

    def test_unknown_salutation_is_rejected(self):
        with self.assertRaises(ValueError):
            Greeter("Yo")


if __name__ == "__main__":
    unittest.main()
