import os

import click
