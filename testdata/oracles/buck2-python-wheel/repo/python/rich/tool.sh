#!/bin/sh
echo rich
